#ifndef CDLRT_QRECURRENT_H
#define CDLRT_QRECURRENT_H
/* The int8 GEMM of dlrt's integer recurrence (LSTM / GRU / RNN with int8 W and R; see
 * DLRTKernels/Recurrent/RecurrentInt8.swift), on weights packed by cdlrt_qgemm_pack:
 *   Y[i, j] = (float)(C[i, j] - a_zero[i] * colsum[j]) * (a_scale[i] * b_scale[j]) + bias[j]
 * for rows [row_begin, row_end), C = sum_k A[i, k] * B[k, j] exact in int32 — the same operations
 * in the same order as cdlrt_qgemm's float epilogue without activation (bias NULL: no add), so
 * the result equals cdlrt_qgemm's bit for bit. Few rows (a recurrent step has `batch` rows) keep
 * up to 8 accumulator chains busy by computing several 32-column panels at once. */
#include <stddef.h>
#include <stdint.h>

void cdlrt_qrec_gemm(int isa, int row_begin, int row_end, int n, int k, const uint8_t *a, ptrdiff_t lda,
                     const void *packed_b, const int32_t *a_zero, const float *a_scale, const float *b_scale,
                     const float *bias, float *y, ptrdiff_t ldy);
#endif
