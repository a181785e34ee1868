#ifndef CDLRT_QGEMM_INTERNAL_H
#define CDLRT_QGEMM_INTERNAL_H
/* Shared between qgemm.c and qgemm_conv.c (not part of the module's public headers). */
#include "qgemm.h"

/* The tile epilogue of `isa`'s path (docs/QUANTIZATION.md): rows × cols accumulators c (row
 * stride CDLRT_QGEMM_NR) of output rows i0… and columns j0… → Y. Chosen once per call. */
typedef void (*cdlrt_qepilogue_fn)(const cdlrt_qepilogue *e, const int32_t *colsum, int i0, int rows, int j0, int cols,
                                   const int32_t *c);
cdlrt_qepilogue_fn cdlrt_qgemm_epilogue_for(int isa);
/* The AVX-512 row-major epilogue (qgemm_rows.c) and when it applies (y_col_stride 1, Relu / Clip /
 * none, per-column or per-tensor weight scales). */
int cdlrt_qepilogue_rows_applies(const cdlrt_qepilogue *e);
void cdlrt_qepilogue_rows_avx512(const cdlrt_qepilogue *e, const int32_t *colsum, int i0, int rows, int j0, int cols,
                                 const int32_t *c);
/* Panel p (32 columns) of a matrix packed by cdlrt_qgemm_pack. */
const int8_t *cdlrt_qgemm_panel_at(const void *packed, int n, int k, int p);
#endif
