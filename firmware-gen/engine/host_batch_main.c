/*
 * host_batch_main.c — host-only driver for `edge-digits eval/predict --engine c` and bench/c-engine.ts.
 * Not part of the engine and never copied into a board target (the engine does no I/O).
 *
 *   engine < images > results
 *   images:  784-byte 28x28 uint8 images back to back, until EOF
 *   results: per image, 10 int8 logits then 1 byte digit
 */
#include <stdio.h>

#include "ed_engine.h"

int main(void) {
  static uint8_t pixels[ED_INPUT_PIXELS];
  long images = 0;
  size_t got;
  static char out_buffer[1 << 16];
  setvbuf(stdout, out_buffer, _IOFBF, sizeof out_buffer);
  while ((got = fread(pixels, 1, sizeof pixels, stdin)) == sizeof pixels) {
    int8_t logits[ED_NUM_CLASSES];
    uint8_t digit = 0;
    if (ed_classify(pixels, logits, &digit) != ED_OK) {
      fprintf(stderr, "engine: ed_classify failed on image %ld\n", images);
      return 1;
    }
    if (fwrite(logits, 1, sizeof logits, stdout) != sizeof logits || fputc(digit, stdout) == EOF) {
      fprintf(stderr, "engine: cannot write the result of image %ld\n", images);
      return 1;
    }
    ++images;
  }
  if (got != 0) {
    fprintf(stderr, "engine: stdin ended inside image %ld (%lu of %d bytes); images are %d bytes each\n", images,
            (unsigned long)got, ED_INPUT_PIXELS, ED_INPUT_PIXELS);
    return 1;
  }
  if (ferror(stdin)) {
    fprintf(stderr, "engine: read error on stdin after %ld images\n", images);
    return 1;
  }
  return fflush(stdout) == 0 ? 0 : 1;
}
