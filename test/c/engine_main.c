/*
 * Test driver for the generated engine + model, built by test/firmware*.test.ts with
 * -std=c99 -Wall -Wextra -Werror -O1 -fsanitize=address,undefined -fno-sanitize-recover=all.
 *
 *   engine_main < images > results      784-byte images until EOF -> per image 10 int8 logits + 1 digit byte
 *   engine_main null-arguments          checks that every NULL argument is refused and nothing is written
 *   engine_main describe                prints ed_model_describe() as one line: name sha256 arena params macs
 */
#include <stdio.h>
#include <string.h>

#include "ed_engine.h"

static int classify_stream(void) {
  uint8_t pixels[ED_INPUT_PIXELS];
  size_t got;
  long images = 0;
  while ((got = fread(pixels, 1, sizeof pixels, stdin)) == sizeof pixels) {
    int8_t logits[ED_NUM_CLASSES];
    uint8_t digit = 0xff;
    const ed_status status = ed_classify(pixels, logits, &digit);
    if (status != ED_OK) {
      fprintf(stderr, "image %ld: ed_classify returned %d\n", images, (int)status);
      return 1;
    }
    if (fwrite(logits, 1, sizeof logits, stdout) != sizeof logits || fputc(digit, stdout) == EOF) return 1;
    ++images;
  }
  if (got != 0) {
    fprintf(stderr, "stdin ended inside image %ld\n", images);
    return 1;
  }
  return ferror(stdin) ? 1 : 0;
}

/* Every combination with at least one NULL must return ED_ERROR_NULL_ARGUMENT and leave the outputs alone. */
static int check_null_arguments(void) {
  static const uint8_t pixels[ED_INPUT_PIXELS] = {0};
  int failures = 0;
  int mask;
  for (mask = 0; mask < 7; ++mask) {
    int8_t logits[ED_NUM_CLASSES];
    uint8_t digit = 0xab;
    ed_status status;
    int i;
    memset(logits, 0x5a, sizeof logits);
    status = ed_classify((mask & 1) ? pixels : NULL, (mask & 2) ? logits : NULL, (mask & 4) ? &digit : NULL);
    if (status != ED_ERROR_NULL_ARGUMENT) {
      printf("mask %d: status %d, expected ED_ERROR_NULL_ARGUMENT\n", mask, (int)status);
      ++failures;
    }
    for (i = 0; i < ED_NUM_CLASSES; ++i) {
      if (logits[i] != 0x5a) {
        printf("mask %d: logits[%d] was written\n", mask, i);
        ++failures;
        break;
      }
    }
    if (digit != 0xab) {
      printf("mask %d: digit was written\n", mask);
      ++failures;
    }
  }
  printf("null-arguments: %d failures, ED_ERROR_NULL_ARGUMENT=%d\n", failures, (int)ED_ERROR_NULL_ARGUMENT);
  return failures == 0 ? 0 : 1;
}

static int describe(void) {
  const ed_model_info *info = ed_model_describe();
  printf("%s %s %lu %lu %lu\n", info->name, info->sha256, (unsigned long)info->arena_bytes, (unsigned long)info->params,
         (unsigned long)info->macs);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 1) return classify_stream();
  if (argc == 2 && strcmp(argv[1], "null-arguments") == 0) return check_null_arguments();
  if (argc == 2 && strcmp(argv[1], "describe") == 0) return describe();
  fprintf(stderr, "usage: engine_main [null-arguments|describe] < images > results\n");
  return 2;
}
