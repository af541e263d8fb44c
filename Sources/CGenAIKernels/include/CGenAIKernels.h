// CGenAIKernels: the engine's compute kernels in C, where each function can carry its own
// instruction-set target (`__attribute__((target(...)))`) and the right one is chosen at run
// time from the CPU's features. Swift cannot express per-function CPU targets, and a package
// cannot ship `-march` flags, so this small C target holds the code whose speed depends on it:
// the SGEMM micro-kernels and their drivers, the convolution packers, and the vectorised
// element-wise maps. Everything else stays in Swift.
#ifndef CGENAI_KERNELS_H
#define CGENAI_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: - Instruction-set paths

/// The code paths. `GENAI_PATH_PORTABLE` is plain C the compiler vectorises for the baseline
/// target; the others use the named instruction sets and run only where the CPU has them.
typedef enum {
  GENAI_PATH_PORTABLE = 0,
  GENAI_PATH_AVX2 = 1,    // AVX2 + FMA (x86-64, Haswell / Zen 1 and later)
  GENAI_PATH_AVX512 = 2,  // AVX-512 F (x86-64, Skylake-X / Zen 4 and later)
  GENAI_PATH_NEON = 3,    // Advanced SIMD (every arm64 CPU)
  GENAI_PATH_COUNT = 4
} genai_path;

/// 1 when this CPU (and this build) can run `path`.
int genai_path_supported(int path);
/// The fastest supported path.
int genai_path_best(void);
/// The path kernels use on this thread: a thread override (`genai_thread_path_set`), else the
/// process default (`GENAI_CPU` = portable | avx2 | avx512 | neon, else the best). A forced path
/// the CPU cannot run falls back to the best one, with a warning on stderr.
int genai_path_active(void);
/// The process default path (see `genai_path_active`).
int genai_path_default(void);
/// Lower-case name of a path ("avx512", ...).
const char *genai_path_name(int path);
/// Sets this thread's override (-1 clears it). Returns 0 and changes nothing when `path` is not
/// supported. The engine's thread pool copies the caller's override to its workers per job.
int genai_thread_path_set(int path);
/// This thread's override, or -1.
int genai_thread_path_get(void);

/// Data cache size in bytes of `level` (1, 2 or 3), from sysfs / sysconf / sysctl, or a
/// conservative default when the system does not say.
long genai_cache_size(int level);

// MARK: - GEMM

/// The register tile and cache blocks of a path: the micro-kernel computes `mr x nr` of C from
/// `kc`-long packed panels; an `mr x kc` panel of A stays in L1 and a `kc x nc` block of B in L2.
typedef struct {
  int mr, nr;
  long kc, nc;
} genai_gemm_blocking;

/// The blocking `path` uses on this machine (sized from the cache sizes).
genai_gemm_blocking genai_gemm_blocking_for(int path);

typedef struct genai_gemm_op genai_gemm_op;

/// Packs rows `i0 ..< i0+mr` (`mr <= MR`; rows past `mr` are zero) and columns `k0 ..< k0+kc`
/// of A into `dst`, k-major: `dst[k*MR + i]`.
typedef void (*genai_pack_a_fn)(const genai_gemm_op *op, long i0, long mr, long k0, long kc, int MR, float *dst);
/// Packs rows `i0 ..< i0+rows` (any count) and columns `k0 ..< k0+kc` of A into `dst` as
/// consecutive `MR x kc` panels (`dst[q*MR*kc + k*MR + i]`), the last one zero-padded: what
/// `pack_a` gives panel by panel, in whatever order reads A best.
typedef void (*genai_pack_a_block_fn)(const genai_gemm_op *op, long i0, long rows, long k0, long kc, int MR,
                                      float *dst);
/// Packs rows `k0 ..< k0+kc` and columns `j0 ..< j0+nc` of B into `dst` as consecutive
/// `kc x NR` panels, each k-major (`panel[k*NR + j]`), the last one zero-padded.
typedef void (*genai_pack_b_fn)(const genai_gemm_op *op, long k0, long kc, long j0, long nc, int NR, float *dst);
/// Receives a computed tile of C: rows `i0 ..< i0+mr`, columns `j0 ..< j0+nr`, `tile[i*ldt+j]`.
/// `first` is 1 for the first block of the K sum (assign, or combine with beta), 0 after.
typedef void (*genai_store_fn)(const genai_gemm_op *op, long i0, long mr, long j0, long nr, const float *tile,
                               long ldt, int first);
/// Called on each part's thread before the columns `j0 ..< j0+nc` are worked on (before their
/// B block is packed and their tiles stored), so packers and stores can prepare per-column
/// tables once per block instead of once per panel or tile.
typedef void (*genai_columns_fn)(const genai_gemm_op *op, long j0, long nc, int NR);

/// One product `C[M, N] = A[M, K] · B[K, N]` whose operands and result may be implicit: the
/// packers read A and B from wherever they live (a transposed matrix, an image seen through
/// im2col), and `store` writes C wherever it belongs (NCHW planes, a scatter-add). A plain GEMM
/// leaves `store` NULL and writes row-major `c` with row stride `ldc` and `beta`.
struct genai_gemm_op {
  long m, n, k;
  genai_pack_a_fn pack_a;
  genai_pack_b_fn pack_b;
  genai_store_fn store;      // NULL: plain row-major C below
  genai_columns_fn columns;  // optional
  /// Optional: returns op(B)'s block for `k0, kc, j0, nc` already packed (instead of `pack_b`).
  const float *(*packed_b_block)(const genai_gemm_op *op, long k0, long kc, long j0, long nc, int NR);
  float *c;
  long ldc;
  float beta;
  /// How to split the work across parts: 0 chooses, 1 splits rows, 2 splits columns.
  int split;
  /// Row splits fall on multiples of this (e.g. the rows of one channel in a scatter store).
  long row_align;
  /// Column splits fall on multiples of this (e.g. whole images in a scatter store).
  long col_align;
  /// Optional: op(A) is row-major in memory, `op(A)[i][k] = a_rows[i*lda_rows + k]`, so full
  /// row panels are read in place by micro-kernels that can (no packing); others use `pack_a`.
  const float *a_rows;
  long lda_rows;
  /// The packers' and the store's own data.
  const void *ctx;
  /// The path the operation runs on (set by `genai_gemm_run` for the packers to read).
  int path;
  /// Optional: many row panels of A at once, where the driver packs several ahead. (Last, so
  /// `Benchmarks/conv_ab` can link packers built against the fields above.)
  genai_pack_a_block_fn pack_a_block;
};

/// 1 when `parts` parts of `op` split its rows, 2 when they split its columns, for a kernel of
/// `mr x nr` (see `genai_gemm_blocking_for`).
int genai_gemm_split(const genai_gemm_op *op, long parts, int mr, int nr);
/// How many parts `op` should be split into on `threads` threads (1 for small products).
long genai_gemm_parts(const genai_gemm_op *op, long threads, int path);
/// Computes part `part` of `parts` of `op` on the calling thread, on `path` (-1: active path).
/// Parts cover disjoint tiles of C; running all of them, in any order or concurrently,
/// computes the whole product. The K sum of every element runs in the same order whatever
/// the split and whatever M, so a row of A gives the same bits alone as in a batch.
void genai_gemm_run(const genai_gemm_op *op, long part, long parts, int path);

/// Whether plain products read full row panels of a row-major A in place instead of packing
/// them (default 1; `GENAI_GEMM_PACK_A=1` in the environment starts it at 0). Same bits either way.
int genai_gemm_in_place_a_enabled(void);
/// Switches reading A in place on (1) or off (0) for the whole process.
void genai_gemm_set_in_place_a(int enabled);

/// op(B) packed once for many products with the same right operand (an RNN's recurrent
/// weight used at every time step), in the driver's panel layout for one path.
typedef struct genai_packed_b genai_packed_b;

/// Packs op(B) `[K, N]` (B stored `[N, K]` when `trans_b`) for products on `path`.
genai_packed_b *genai_pack_b(int path, int trans_b, long k, long n, const float *b, long ldb);
/// Room for op(B) `[K, N]` packed for `path`, to be filled by `genai_packed_b_fill`.
genai_packed_b *genai_packed_b_alloc(int path, long k, long n);
/// Packs part `part` of `parts` of op(B)'s column panels into `packed` (parts may run
/// concurrently; all of them fill it).
void genai_packed_b_fill(genai_packed_b *packed, int trans_b, const float *b, long ldb, long part, long parts);
/// Frees what `genai_pack_b` or `genai_packed_b_alloc` returned.
void genai_packed_b_free(genai_packed_b *packed);

/// Arguments of a plain row-major SGEMM, `C = alpha·op(A)·op(B) + beta·C`: op(A) is `[M, K]`
/// (A stored `[K, M]` when `trans_a`), op(B) is `[K, N]` (B stored `[N, K]` when `trans_b`).
typedef struct {
  int trans_a, trans_b;
  long m, n, k;
  float alpha, beta;
  const float *a;
  long lda;
  const float *b;
  long ldb;
  float *c;
  long ldc;
  /// When set, op(B) comes from here (packed for the same path, K and N) and `b` is unused.
  const genai_packed_b *packed_b;
} genai_sgemm_args;

/// Fills `op` to compute `args` (which must outlive it) as a plain GEMM.
void genai_sgemm_op(genai_gemm_op *op, const genai_sgemm_args *args);

// MARK: - Element-wise maps

/// The vectorised unary maps (`y[i] = f(x[i])`), about 1-2 ulp (exp) to 1.5e-7 absolute (erf,
/// GELU), NaN and infinities kept as libm keeps them.
typedef enum {
  GENAI_MAP_EXP = 0,
  GENAI_MAP_TANH = 1,
  GENAI_MAP_SIGMOID = 2,
  GENAI_MAP_GELU = 3,  // x·Φ(x), the exact (erf) form
  GENAI_MAP_ERF = 4,
  GENAI_MAP_LEAKY_RELU = 5,  // x > 0 ? x : param·x (param 0: ReLU)
} genai_map_fn;

/// The vectorised binary maps (`y[i] = f(a[i], b[i])`), mostly pullbacks in one pass.
typedef enum {
  GENAI_ZIP_GELU_GRAD = 0,     // a · gelu′(b): GELU's pullback, gradient a, input b
  GENAI_ZIP_TANH_GRAD = 1,     // a · (1 − b²): tanh's pullback from its output b
  GENAI_ZIP_SIGMOID_GRAD = 2,  // a · b · (1 − b): sigmoid's pullback from its output b
  GENAI_ZIP_LEAKY_RELU_GRAD = 3,  // b > 0 ? a : param·a: leaky ReLU's pullback, gradient a, input b
  GENAI_ZIP_ADD = 4,
  GENAI_ZIP_SUBTRACT = 5,
  GENAI_ZIP_MULTIPLY = 6,
  GENAI_ZIP_DIVIDE = 7,
  GENAI_ZIP_BCE_LOGITS = 8,       // max(a, 0) − a·b + log(1 + e^−|a|): cross-entropy of logit a, target b
  GENAI_ZIP_BCE_LOGITS_GRAD = 9,  // σ(a) − b: its derivative in the logit
} genai_zip_fn;

/// `y[i] = f(x[i])` for `i < n` on `path` (`param`: the leaky ReLU's slope, else unused). `y` may
/// equal `x`.
void genai_map(int path, int fn, const float *x, float *y, long n, float param);
/// `y[i] = f(a[i], b[i])` for `i < n` on `path` (`param` as for `genai_map`). `y` may equal `a`
/// or `b`.
void genai_zip(int path, int fn, const float *a, const float *b, float *y, long n, float param);

/// Softmax (`log` 0) or log-softmax (`log` 1) of `rows` contiguous rows of `n` values each,
/// shifted by each row's maximum. `y` may equal `x` only for softmax.
void genai_softmax_rows(int path, const float *x, float *y, long rows, long n, int log);

// MARK: - Random fills

/// A Bernoulli mask from a counter-based hash: `y[j] = value` where the top 24 bits of the hash
/// of element `i0 + j` under `key` (murmur3's finaliser, twice) are below `threshold`, else 0.
/// Elements depend only on `key` and their index, so a fill split into pieces (any `i0`, `n`)
/// gives the same bits as in one piece, on every path. Indices wrap at 2³².
void genai_bernoulli(int path, unsigned long long key, unsigned long long i0, unsigned threshold, float value, float *y,
                     long n);

// MARK: - Layer normalisation

/// Layer norm of `rows` contiguous rows of `n` values with the affine fused in:
/// `y = (x − mean)·rstd·w + b` per row, `rstd = 1/√(var + eps)` (population variance). `w`, `b`
/// (`[n]`) may be NULL (1 and 0). Writes each row's `mean` and `rstd` (`[rows]`) for the pullback
/// unless they are NULL. `y` may be `x`.
void genai_layernorm_forward(int path, const float *x, float *y, long rows, long n, const float *w, const float *b,
                             float eps, float *mean, float *rstd);
/// The pullback of `genai_layernorm_forward` for the same rows: writes `dx` and adds `g·x̂` and
/// `g` of these rows to `dw` and `db` (`[n]`; NULL skips them).
void genai_layernorm_backward(int path, const float *g, const float *x, long rows, long n, const float *w,
                              const float *mean, const float *rstd, float *dx, float *dw, float *db);

// MARK: - Attention

/// Multi-head self-attention over packed projections: `qkv` `[B, T, 3C]` holds the queries,
/// keys and values (each `[B, T, C]`, C = heads·hd, heads side by side); `y` `[B, T, C]`.
typedef struct {
  long b, t, heads, hd;
  float scale;  // usually 1/√hd
  int causal;   // position t attends to positions ≤ t only
} genai_attention_shape;

/// `y = softmax(scale·q·kᵀ (+ causal mask))·v` for the (batch, head) pairs `pair0 ..< pair1`
/// (pair = b·heads + h), keeping the attention weights in `probs` `[B·heads, T, T]`.
void genai_attention_forward(int path, const genai_attention_shape *s, const float *qkv, float *y, float *probs,
                             long pair0, long pair1);
/// The gradient with respect to `qkv` for output gradient `dy`, written (not added) into `dqkv`
/// `[B, T, 3C]` for the same pairs, from the `probs` of the forward pass.
void genai_attention_backward(int path, const genai_attention_shape *s, const float *qkv, const float *probs,
                              const float *dy, float *dqkv, long pair0, long pair1);

// MARK: - LSTM cell

/// One LSTM step's element-wise part for `rows` batch rows of width `H` (gates i, f, g, o):
/// the pre-activations are `gates` `[rows, 4H]` (row stride `ldg`) plus `addend` (same shape,
/// stride `ldx`; NULL: none), and `gates` receives the activations; `c_out = f·c_prev + i·g`,
/// `h_out = o·tanh(c_out)` (`[rows, H]`, stride `ldo`).
void genai_lstm_cell_forward(int path, long rows, long H, float *gates, long ldg, const float *addend, long ldx,
                             const float *c_prev, long ldcp, float *c_out, float *h_out, long ldo);
/// Its gradient: from the activations `acts` `[rows, 4H]`, the cell states `c` and `c_prev`
/// `[rows, H]`, the hidden-state gradient `dh` and the incoming cell-state gradient `dc`
/// (`[rows, H]`, stride `ldd`), writes the pre-activation gradients `dgates` `[rows, 4H]` and
/// replaces `dc` by the gradient flowing to `c_prev`.
void genai_lstm_cell_backward(int path, long rows, long H, const float *acts, long lda, const float *c,
                              const float *c_prev, long ldc, const float *dh, float *dc, long ldd, float *dgates,
                              long ldg);

// MARK: - Transpose

/// `dst[c·dst_stride + r] = src[r·ld + c]` for `r < rows`, `c < cols`, in vector blocks on `path`
/// (-1: the active one): a matrix transpose, or a slice of its rows.
void genai_transpose(int path, const float *src, long ld, long rows, long cols, float *dst, long dst_stride);

// MARK: - Convolution as implicit GEMM

/// One 2-D convolution between an "x side" `[N, C, H, W]` and a "y side" `[N, O, OH, OW]` with a
/// weight `[O, C, KH, KW]`: `y[n,o,oy,ox] = Σ w[o,c,ky,kx] · x[n, c, oy·sh − pt + ky·dh,
/// ox·sw − pl + kx·dw]` (zero outside x). A transposed convolution is the same geometry read
/// backwards (y side in, x side out).
typedef struct {
  long n, c, h, w;
  long o, oh, ow;
  long kh, kw, sh, sw, dh, dw, pt, pl;
} genai_conv_shape;

/// The tensors of one convolution product (which are read and which written depends on the op).
typedef struct {
  genai_conv_shape s;
  const float *x;     // [N, C, H, W]
  const float *y;     // [N, O, OH, OW]
  const float *w;     // [O, C, KH, KW]
  const float *bias;  // [O] (forward) or [C] (transposed), or NULL
  float *out;
} genai_conv_ctx;

/// `out = y = conv(x, w) + bias` (`bias` `[O]` or NULL): `[O, C·KH·KW] x im2col(x)`, the im2col
/// done inside the packing and the result written straight into NCHW planes.
void genai_conv_forward_op(genai_gemm_op *op, const genai_conv_ctx *ctx);
/// `out = x += convᵀ(y, w)`: `[C·KH·KW, O] x y`, each tile added back into its windows of x
/// (col2im inside the store). `out` must hold the starting values (zeros, or the bias).
void genai_conv_transpose_op(genai_gemm_op *op, const genai_conv_ctx *ctx);
/// `out = dW = Σ y ⊗ im2col(x)`, `[O, C·KH·KW]` over a K of N·OH·OW (the weight gradient).
void genai_conv_weight_grad_op(genai_gemm_op *op, const genai_conv_ctx *ctx);
/// The weight gradient on the calling thread alone, on `path` (-1: the active one): as
/// `genai_conv_weight_grad_op`, or as `dWᵀ = im2col(x) · yᵀ` transposed into `out` where that pads
/// the micro-kernel's tiles much less (few input channels and a small kernel, e.g. C·KH·KW = 9
/// against tiles 32 wide). Both give the same sums in the same order.
void genai_conv_weight_grad_run(const genai_conv_ctx *ctx, int path);

// MARK: - One input channel

/// Whether `s` has one channel on its x side (C = 1) and a kernel of at most 16 taps: the
/// products below then replace the implicit GEMM's (conv_single.c).
int genai_conv_single_applies(const genai_conv_shape *s);
/// `out = conv(x, w) + bias` for images `n0 ..< n1`: x `[N, 1, H, W]`, w `[O, 1, KH, KW]`, bias
/// `[O]` or NULL, out `[N, O, OH, OW]`. `path` -1 is the active path.
void genai_conv_single_forward(int path, const genai_conv_shape *s, const float *x, const float *w, const float *bias,
                               long n0, long n1, float *out);
/// `out = convᵀ(y, w) + bias` for images `n0 ..< n1` (assigned, not added): y `[N, O, OH, OW]`,
/// bias `[1]` or NULL, out `[N, 1, H, W]`.
void genai_conv_single_transpose(int path, const genai_conv_shape *s, const float *y, const float *w,
                                 const float *bias, long n0, long n1, float *out);
/// `out = dW = Σ_{n, oy, ox} y ⊗ window(x)` `[O, 1, KH, KW]` over all `s->n` images, on the
/// calling thread (`genai_conv_weight_grad_run` comes here for these shapes).
void genai_conv_single_weight_grad(int path, const genai_conv_shape *s, const float *x, const float *y, float *out);

// MARK: - Direct convolution (channels-last copy, no im2col)

/// A forward convolution of `s` (dilation 1) in four steps that the caller spreads over threads:
/// pack the weight, copy x into a zero-padded channels-last image `[N, Hp, Wp, C]`, compute
/// output pixels channels-last `[N·OH·OW, ldy]` from it, and transpose those into NCHW.
/// `path` -1 is the active path. Output channels per packed weight panel on `path`:
long genai_conv_direct_nr(int path);
/// `Hp = (OH − 1)·sh + KH` and `Wp = (OW − 1)·sw + KW`: the padded image's size.
long genai_conv_direct_padded_height(const genai_conv_shape *s);
long genai_conv_direct_padded_width(const genai_conv_shape *s);
/// Packs weight panels `panel0 ..< panel1` (of `ceil(O / nr)`, each `KH·KW·C x nr`, zero past
/// O) into `dst`. `w` is `[O, C, KH, KW]`, or with `flipped` `[C, O, KH, KW]` read with both
/// kernel axes reversed (a stride-1 transposed convolution as a convolution).
void genai_conv_direct_pack_weights(int path, const genai_conv_shape *s, const float *w, int flipped, long panel0,
                                    long panel1, float *dst);
/// Copies images `n0 ..< n1` of x `[N, C, H, W]` into `xp` `[N, Hp, Wp, C]`, x shifted by the
/// pads `(pt, pl)` (which may be negative) and zeros elsewhere.
void genai_conv_direct_pad_input(int path, const genai_conv_shape *s, const float *x, long n0, long n1, float *xp);
/// Output pixels `p0 ..< p1` (of N·OH·OW, row-major) into `y` (row stride `ldy` ≥ O):
/// `bias[o] + Σ_{ky, kx, c} xp[window] · w`. Each element's sum runs in the same order for any
/// split of the pixels.
void genai_conv_direct_tiles(int path, const genai_conv_shape *s, const float *xp, const float *wp,
                             const float *bias, long p0, long p1, float *y, long ldy);
/// Transposes images `n0 ..< n1` of `y` `[N·OH·OW, ldy]` into `out` `[N, O, OH, OW]`.
void genai_conv_direct_to_nchw(int path, const genai_conv_shape *s, const float *y, long ldy, long n0, long n1,
                               float *out);

// MARK: - Channels-last convolution (conv_nhwc.c)

/// The same geometry as `genai_conv_shape` with both sides channels-last: x `[N, H, W, C]`, y
/// `[N, OH, OW, O]`; the weight stays `[O, C, KH, KW]`. Products with fewer than 8 outputs
/// (`genai_conv_nhwc_narrow`) pack and run differently from the others, which use the direct
/// tiles. `path` -1 is the active path; pixels split any way give the same bits.
int genai_conv_nhwc_narrow(long outputs);
/// Floats of packed weight for `outputs` outputs of depth `taps·C`.
long genai_conv_nhwc_packed_size(int path, long outputs, long depth);
/// Packs the forward product's weight panels `panel0 ..< panel1` (of `ceil(O / nr)`,
/// `genai_conv_direct_nr`; a narrow product packs everything for panel 0) into `dst`, which must
/// be 64-byte aligned (the tiles load it aligned).
void genai_conv_nhwc_pack_weights(int path, const genai_conv_shape *s, const float *w, long panel0, long panel1,
                                  float *dst);
/// `y = conv(x, w) + bias` (`bias` `[O]` or NULL) for output pixels `p0 ..< p1` of N·OH·OW.
void genai_conv_nhwc_forward(int path, const genai_conv_shape *s, const float *x, const float *wp, const float *bias,
                             long p0, long p1, float *y);
/// The transposed product by output phases `(a, b)`, `a < sh`, `b < sw`: phase (a, b) is the
/// x-side pixels `(sh·i + a, sw·j + b)`, `genai_conv_nhwc_phase_pixels` of them, and takes
/// `genai_conv_nhwc_phase_taps` taps (0: its pixels are the bias alone). Its weight, `taps·O`
/// deep with C outputs, is packed like the forward one's.
long genai_conv_nhwc_phase_taps(const genai_conv_shape *s, long a, long b);
long genai_conv_nhwc_phase_pixels(const genai_conv_shape *s, long a, long b);
void genai_conv_nhwc_pack_phase_weights(int path, const genai_conv_shape *s, long a, long b, const float *w,
                                        long panel0, long panel1, float *dst);
/// `x = convᵀ(y, w) + bias` (`bias` `[C]` or NULL) at phase (a, b)'s pixels `p0 ..< p1`: every
/// x-side pixel is written (not added) by exactly one phase.
void genai_conv_nhwc_transpose_phase(int path, const genai_conv_shape *s, long a, long b, const float *y,
                                     const float *wp, const float *bias, long p0, long p1, float *x);
/// `out = dW` `[O, C, KH, KW]` `= Σ_pixels y ⊗ window(x)` on the calling thread: a GEMM over the
/// N·OH·OW pixels of `ctx` (x and y channels-last).
void genai_conv_nhwc_weight_grad_run(const genai_conv_ctx *ctx, int path);

// MARK: - Decoding (one token at a time)

/// `y = A·x + bias` for row-major `A` `[M, K]` (row stride `lda`), `x` `[K]`, `bias` `[M]` or
/// NULL, `y` `[M]`: one row through a Linear layer's weight `[out, in]` without packing it.
/// `path` -1 uses the active path. Sums run in a different order from `genai_gemm_run`'s, so
/// results agree with it to rounding.
void genai_sgemv(int path, long m, long k, const float *a, long lda, const float *x, const float *bias, float *y);

/// Causal attention of `t` new queries of one head over its cache: query `i` sits at position
/// `past + i` and attends to positions `0 ... past + i`,
/// `out[i] = Σ_j softmax_j(scale · q_i·k_j) · v_j`.
/// `q` `[t, d]` with row stride `ldq`; `k`, `v` `[past + t, d]` contiguous (the new positions
/// already written); `out` `[t, d]` with row stride `ldo`; `scratch` at least `past + t` floats.
/// `path` -1 uses the active path.
void genai_attention_cached(int path, long t, long past, long d, float scale, const float *q, long ldq, const float *k,
                            const float *v, float *out, long ldo, float *scratch);

#ifdef __cplusplus
}
#endif
#endif
