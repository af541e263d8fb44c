// The register blocks of conv_single.c, included once per path by vec_paths.h (VF the float
// vector, VN its lanes, FN(name) the path-suffixed name). No include guard: meant to be included
// several times.
//
// Every block keeps its sums in registers across the whole short K (taps or output channels)
// and writes each element once; the sums of an element run in the same order for any split of
// the batch, so results do not depend on the thread count.

/// This path's register blocks (conv_single.c defines them for any lane count).
#define SINGLE_PV SINGLE_PV_FOR(VN)
#define SINGLE_WO SINGLE_WO_FOR(VN)

/// `p[0 ..< avail]` in the low lanes (all of them when `avail ≥ VN`), zeros above.
static inline __attribute__((always_inline)) VF FN(single_load)(const float *p, long avail) {
  return avail >= VN ? FN(load)(p) : avail > 0 ? FN(load_partial)(p, avail) : FN(splat)(0.0f);
}

/// One block of `pv` pixel vectors from `q0`, all outputs: `y[o][q] = bias[o] + Σ_t wp[t][o] ·
/// cols[t][q]`. Pixels outer, so a block's columns stay in L1 for all outputs.
static inline __attribute__((always_inline)) void FN(single_forward_tile)(const int pv, long O, long kk,
                                                                         const float *cols, long ld, long q0, long np,
                                                                         const float *wp, const float *bias, float *y,
                                                                         long ldy) {
  for (long o0 = 0; o0 < O; o0 += 4) {
    const float *wb = wp + o0 * kk;
    VF acc[4][SINGLE_PV];
    for (int r = 0; r < 4; r++)
      for (int v = 0; v < pv; v++) acc[r][v] = FN(splat)(0.0f);
    const float *c = cols + q0;
    for (long t = 0; t < kk; t++, c += ld) {
      VF cv[SINGLE_PV];
      for (int v = 0; v < pv; v++) cv[v] = FN(load)(c + v * VN);
      for (int r = 0; r < 4; r++) {
        const VF wr = FN(splat)(wb[t * 4 + r]);
        for (int v = 0; v < pv; v++) acc[r][v] = acc[r][v] + wr * cv[v];
      }
    }
    for (int r = 0; r < 4 && o0 + r < O; r++) {
      const float b = bias ? bias[o0 + r] : 0.0f;
      float *d = y + (o0 + r) * ldy + q0;
      for (int v = 0; v < pv && q0 + v * VN < np; v++) {
        const long avail = np - q0 - v * VN;
        if (avail >= VN) {
          FN(store)(d + v * VN, acc[r][v] + b);
        } else {
          FN(store_partial)(d + v * VN, acc[r][v] + b, avail);
        }
      }
    }
  }
}

/// `y[o][q] = bias[o] + Σ_t wp[t][o] · cols[t][q]` for `o < O`, `q < np`: `cols` `[kk, ld]`
/// (zeros past `np`, `ld` a multiple of the block width), `wp` `[ceil(O/4)][kk][4]` (zeros past
/// O), `y`'s rows `ldy` apart, bias `[O]` or NULL. Whole blocks of `SINGLE_PV` vectors, then
/// single vectors for the rest (196 pixels: 3 x 64 + 1 x 16, not 4 x 64).
static void FN(single_forward_block)(long O, long kk, const float *cols, long ld, long np, const float *wp,
                                     const float *bias, float *y, long ldy) {
  long q0 = 0;
  for (; np - q0 > (SINGLE_PV - 1) * VN; q0 += SINGLE_PV * VN)
    FN(single_forward_tile)(SINGLE_PV, O, kk, cols, ld, q0, np, wp, bias, y, ldy);
  for (; q0 < np; q0 += VN) FN(single_forward_tile)(1, O, kk, cols, ld, q0, np, wp, bias, y, ldy);
}

/// One block of `pv` pixel vectors from `q0`, all taps: `g[t][q] = Σ_o wt[o][t] · y[o][q]`.
static inline __attribute__((always_inline)) void FN(single_transpose_tile)(const int pv, long O, long kk,
                                                                           const float *y, long ldy, long q0,
                                                                           long np, const float *wt, float *g,
                                                                           long ld) {
  for (long t0 = 0; t0 < kk; t0 += 3) {
    const float *wb = wt + t0 * O;
    VF acc[3][SINGLE_PV];
    for (int r = 0; r < 3; r++)
      for (int v = 0; v < pv; v++) acc[r][v] = FN(splat)(0.0f);
    // The last block reads y's rows only up to np (the image's last row ends the tensor).
    const long avail = np - q0;
    for (long o = 0; o < O; o++) {
      const float *yo = y + o * ldy + q0;
      VF yv[SINGLE_PV];
      if (avail >= pv * VN) {
        for (int v = 0; v < pv; v++) yv[v] = FN(load)(yo + v * VN);
      } else {
        for (int v = 0; v < pv; v++) yv[v] = FN(single_load)(yo + v * VN, avail - v * VN);
      }
      for (int r = 0; r < 3; r++) {
        const VF wr = FN(splat)(wb[o * 3 + r]);
        for (int v = 0; v < pv; v++) acc[r][v] = acc[r][v] + wr * yv[v];
      }
    }
    for (int r = 0; r < 3; r++)
      for (int v = 0; v < pv; v++) FN(store)(g + (t0 + r) * ld + q0 + v * VN, acc[r][v]);
  }
}

/// `g[t][q] = Σ_o wt[o][t] · y[o][q]` for `t < round_up(kk, 3)`, `q < round_up(np, VN)` (zeros
/// past `np`): `y`'s rows `ldy` apart, `wt` `[ceil(kk/3)][O][3]` (zeros past kk), `g`
/// `[round_up(kk, 3), ld]`. Blocked as `single_forward_block`.
static void FN(single_transpose_block)(long O, long kk, const float *y, long ldy, long np, const float *wt, float *g,
                                       long ld) {
  long q0 = 0;
  for (; np - q0 > (SINGLE_PV - 1) * VN; q0 += SINGLE_PV * VN)
    FN(single_transpose_tile)(SINGLE_PV, O, kk, y, ldy, q0, np, wt, g, ld);
  for (; q0 < np; q0 += VN) FN(single_transpose_tile)(1, O, kk, y, ldy, q0, np, wt, g, ld);
}

/// `acc[ob][tb][r][u] += y[o0 + r][q] · cols[t0 + u][q]` lane-wise over `q < np`, for blocks of
/// `SINGLE_WO` outputs `o0 = ob·SINGLE_WO` and 3 taps `t0 = 3·tb`, each entry `VN` lanes. Rows of
/// y past O read row O − 1 (those sums are never read back); `cols` has zero rows past kk and
/// zeros past np.
static void FN(single_wgrad_block)(long O, long kk, const float *y, long ldy, long np, const float *cols, long ld,
                                   float *acc) {
  enum { WO = SINGLE_WO };
  const long taps3 = (kk + 2) / 3;
  for (long o0 = 0; o0 < O; o0 += WO) {
    const float *yr[WO];
    for (int r = 0; r < WO; r++) yr[r] = y + (o0 + r < O ? o0 + r : O - 1) * ldy;
    for (long t0 = 0; t0 < kk; t0 += 3) {
      float *a = acc + ((o0 / WO) * taps3 + t0 / 3) * WO * 3 * VN;
      VF s[WO][3];
      for (int r = 0; r < WO; r++)
        for (int u = 0; u < 3; u++) s[r][u] = FN(load)(a + (r * 3 + u) * VN);
      const float *c0 = cols + t0 * ld, *c1 = c0 + ld, *c2 = c1 + ld;
      // One vector of pixels at q; y's last row ends the tensor, so its tail is loaded partially.
#define SINGLE_WGRAD_STEP(LOAD_Y)                                                        \
  do {                                                                                   \
    const VF x0 = FN(load)(c0 + q), x1 = FN(load)(c1 + q), x2 = FN(load)(c2 + q);       \
    for (int r = 0; r < WO; r++) {                                                       \
      const VF yv = LOAD_Y;                                                              \
      s[r][0] = s[r][0] + yv * x0;                                                       \
      s[r][1] = s[r][1] + yv * x1;                                                       \
      s[r][2] = s[r][2] + yv * x2;                                                       \
    }                                                                                    \
  } while (0)
      long q = 0;
      for (; q + VN <= np; q += VN) SINGLE_WGRAD_STEP(FN(load)(yr[r] + q));
      if (q < np) SINGLE_WGRAD_STEP(FN(load_partial)(yr[r] + q, np - q));
#undef SINGLE_WGRAD_STEP
      for (int r = 0; r < WO; r++)
        for (int u = 0; u < 3; u++) FN(store)(a + (r * 3 + u) * VN, s[r][u]);
    }
  }
}
