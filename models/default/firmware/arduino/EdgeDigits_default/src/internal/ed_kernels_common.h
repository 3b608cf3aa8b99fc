/* Copied by edge-digits firmware-gen from firmware-gen/engine/ed_kernels_common.h; edit the original, not this copy. */
#include "ed_prefix.h" /* added by edge-digits firmware-gen: per-model symbol names */
/*
 * ed_kernels_common.h — what every kernel file shares: how kernels are compiled (ED_KERNEL) and the output
 * geometry of a conv with its optional fused pool.
 *
 * The kernels are included only by the generated <model>_model.c (through ed_kernels.h), which calls each with a
 * `static const` parameter struct. With ED_SPECIALIZE (the default under GCC/Clang) they are force-inlined there,
 * so every shape, stride and offset becomes a compile-time constant and the compiler simplifies the loops per
 * layer: model-specialized code from one readable source. ED_SPECIALIZE=0 gives one out-of-line copy of each
 * kernel that reads its parameters at run time: the same results.
 */
#ifndef ED_KERNELS_COMMON_H
#define ED_KERNELS_COMMON_H

#include <stdint.h>

#include "ed_engine.h"
#include "ed_fixedpoint.h" /* ED_ALWAYS_INLINE */

#ifndef ED_SPECIALIZE
#if defined(__GNUC__)
#define ED_SPECIALIZE 1
#else
#define ED_SPECIALIZE 0
#endif
#endif

#if ED_SPECIALIZE && defined(__GNUC__)
#define ED_KERNEL static inline __attribute__((always_inline))
#elif defined(__GNUC__)
#define ED_KERNEL static __attribute__((noinline, unused))
#else
#define ED_KERNEL static
#endif

/*
 * What a conv kernel writes: its own output, or with a fused pool the pool's output, computed as the max over
 * pool windows of conv outputs; the clamp is the conv's followed by the pool's, which the generator checked is one
 * clamp to the intersection (plan.ts, fusedPoolEligibility). Without a pool, a 1x1 window of stride 1.
 */
typedef struct {
  int32_t out_h, out_w;
  int32_t pool_h, pool_w, pool_stride_h, pool_stride_w;
  int32_t act_min, act_max;
} ed_conv_geometry;

ED_ALWAYS_INLINE ed_conv_geometry ed_conv_geometry_of(const ed_conv2d_params *p) {
  ed_conv_geometry g;
  const ed_max_pool_params *pool = p->pool;
  g.out_h = pool ? pool->out_h : p->out_h;
  g.out_w = pool ? pool->out_w : p->out_w;
  g.pool_h = pool ? pool->pool_h : 1;
  g.pool_w = pool ? pool->pool_w : 1;
  g.pool_stride_h = pool ? pool->stride_h : 1;
  g.pool_stride_w = pool ? pool->stride_w : 1;
  g.act_min = pool && pool->activation_min > p->activation_min ? pool->activation_min : p->activation_min;
  g.act_max = pool && pool->activation_max < p->activation_max ? pool->activation_max : p->activation_max;
  return g;
}

#endif /* ED_KERNELS_COMMON_H */
