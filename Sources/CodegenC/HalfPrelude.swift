/// The C helpers of graphs with f16 or bf16 values: conversions that round as the
/// interpreter's `HalfPrecision` (bit for bit, NaNs included), and the half GEMM with f32
/// sums used by matmul, linear and the convolutions. Emitted only into models that need them.
enum HalfPrelude {
  static let conversions = """
    /* Half-precision values are uint16_t bit patterns. Conversions round to nearest even as the
       interpreter's HalfPrecision does (Swift's Float16 for f16; bf16 quiets NaNs with 0x40). */
    static inline float asrc_bf16_to_f32(uint16_t h) {
      const uint32_t bits = (uint32_t)h << 16;
      float value;
      memcpy(&value, &bits, sizeof value);
      return value;
    }

    static inline uint16_t asrc_f32_to_bf16(float value) {
      uint32_t bits;
      memcpy(&bits, &value, sizeof bits);
      if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40u);
      return (uint16_t)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
    }

    static inline float asrc_f16_to_f32(uint16_t h) {
      const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
      const uint32_t exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu;
      uint32_t bits;
      if (exponent == 0x1fu) {
        bits = sign | (mantissa == 0 ? 0x7f800000u : 0x7fc00000u | (mantissa << 13)); /* NaNs come out quiet, as Swift's Float(Float16) */
      } else if (exponent != 0) {
        bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
      } else if (mantissa == 0) {
        bits = sign;
      } else {
        /* A subnormal: mantissa · 2^-24, exact in f32. */
        float magnitude = (float)mantissa * 0x1p-24f;
        memcpy(&bits, &magnitude, sizeof bits);
        bits |= sign;
      }
      float value;
      memcpy(&value, &bits, sizeof value);
      return value;
    }

    static inline uint16_t asrc_f32_to_f16(float value) {
      uint32_t bits;
      memcpy(&bits, &value, sizeof bits);
      const uint16_t sign = (uint16_t)((bits >> 16) & 0x8000u);
      const uint32_t magnitude = bits & 0x7fffffffu;
      if (magnitude > 0x7f800000u) return (uint16_t)(sign | 0x7e00u | ((magnitude >> 13) & 0x3ffu));
      if (magnitude >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* 65520 and above round to inf */
      if (magnitude >= 0x38800000u) {                                    /* normal in f16: 2^-14 and above */
        const uint32_t rounded = magnitude + 0xfffu + ((magnitude >> 13) & 1u);
        return (uint16_t)(sign | ((rounded - 0x38000000u) >> 13));
      }
      if (magnitude < 0x33000000u) return sign; /* below 2^-25: rounds to zero */
      /* Subnormal in f16: the significand in units of 2^-24, rounded to nearest even. */
      const uint32_t shift = 126u - (magnitude >> 23);
      const uint32_t significand = (magnitude & 0x7fffffu) | 0x800000u;
      uint32_t quotient = significand >> shift;
      const uint32_t remainder = significand & ((1u << shift) - 1u), half = 1u << (shift - 1u);
      if (remainder > half || (remainder == half && (quotient & 1u))) quotient++;
      return (uint16_t)(sign | quotient);
    }

    """

  /// The GEMM: oneDNN's matmul (AMX or AVX512-BF16 kernels for bf16, chosen by oneDNN at run
  /// time; measured in tools/bench-lowp-gemm), else the widened f32 GEMM.
  static let gemm = """
    /* Widens n half values (bf16 or f16 bits) to f32. */
    static void asrc_widen_bf16(const uint16_t *in, float *out, int64_t n) {
      for (int64_t i = 0; i < n; i++) out[i] = asrc_bf16_to_f32(in[i]);
    }

    static void asrc_widen_f16(const uint16_t *in, float *out, int64_t n) {
      for (int64_t i = 0; i < n; i++) out[i] = asrc_f16_to_f32(in[i]);
    }

    /* op(X) of a half matrix widened to a row-major f32 matrix of rows x cols (over the threads
       when called outside a parallel region: a convolution's columns are megabytes). */
    static void asrc_widen_matrix(int f16, int trans, int64_t rows, int64_t cols, const uint16_t *x, int64_t ld, float *out) {
      #pragma omp parallel for if(!omp_in_parallel() && rows * cols >= ASRC_PARALLEL_MIN)
      for (int64_t r = 0; r < rows; r++) {
        if (!trans) {
          if (f16) asrc_widen_f16(x + r * ld, out + r * cols, cols);
          else asrc_widen_bf16(x + r * ld, out + r * cols, cols);
          continue;
        }
        for (int64_t c = 0; c < cols; c++) out[r * cols + c] = f16 ? asrc_f16_to_f32(x[c * ld + r]) : asrc_bf16_to_f32(x[c * ld + r]);
      }
    }

    /* C[m x n] (f32) = op(A) op(B) + beta C by widening both to f32 and calling the f32 GEMM: the
       interpreter's computation (half products are exact in f32), up to the order of the f32
       sums (the f32 GEMM gets the transposes already applied). Returns nonzero when scratch memory
       is short. */
    static int asrc_gemm_half_widened(int f16, int ta, int tb, int64_t m, int64_t n, int64_t k, const uint16_t *a, int64_t lda,
                                      const uint16_t *b, int64_t ldb, float beta, float *c, int64_t ldc) {
      float *wa = (float *)asrc_alloc(m * k * (int64_t)sizeof(float));
      float *wb = (float *)asrc_alloc(k * n * (int64_t)sizeof(float));
      if (!wa || !wb) { free(wa); free(wb); return -1; }
      asrc_widen_matrix(f16, ta, m, k, a, lda, wa);
      asrc_widen_matrix(f16, tb, k, n, b, ldb, wb);
      const int status = asrc_sgemm(0, 0, m, n, k, wa, k, wb, n, beta, c, ldc);
      free(wa);
      free(wb);
      return status ? -1 : 0;
    }

    /* Half GEMMs: C[batch][m x n] (f32) = op(A) op(B) + beta C with bf16 or f16 operands and f32
       sums. bf16 runs on oneDNN's matmul, which picks the CPU's best bf16 kernel at run time (AMX
       tiles or AVX512-BF16's vdpbf16ps) and emulates bf16 on older AVX512 CPUs; where it has no
       kernel (f16 in oneDNN 2.6, CPUs without AVX512), both operands are widened and the f32 GEMM
       runs, which is the interpreter's own computation. Matrices are row-major with leading
       dimensions; batch items are stride_a / stride_b / stride_c elements apart. */
    #include <pthread.h>
    #include <oneapi/dnnl/dnnl.h>

    /* Names of their own (asrc_half_dnnl_*): the f32 prelude keeps its own oneDNN engine, stream
       and primitive table, and a model with both dtypes includes both. */
    static dnnl_engine_t asrc_half_dnnl_engine;
    static pthread_once_t asrc_half_dnnl_once = PTHREAD_ONCE_INIT;

    static void asrc_half_dnnl_start(void) {
      if (dnnl_engine_create(&asrc_half_dnnl_engine, dnnl_cpu, 0) != dnnl_success) asrc_half_dnnl_engine = NULL;
    }

    /* oneDNN streams are not shared between threads: one per calling thread. */
    static _Thread_local dnnl_stream_t asrc_half_dnnl_stream;

    /* Matmul primitives by shape, kept in a table of ASRC_HALF_DNNL_CACHE with the least
       recently used one replaced when it is full. Creating a primitive costs tens of microseconds
       when oneDNN's own cache has it (as much as a small attention GEMM) and about 2 ms when it
       JIT-compiles one. A step has a few dozen shapes per batch length; training on batches of
       many lengths (even padded to a multiple, --pad-to-multiple-of) has hundreds, so a table
       that kept only the first shapes it saw made every later call create its primitive anew
       (95,000 creations in 125 demo steps). */
    typedef struct {
      int64_t key[14];
      dnnl_primitive_t primitive; /* NULL: oneDNN has no kernel for this shape and type */
      dnnl_memory_desc_t a, b, c, scratchpad;
      int users; /* calls running it now: never replaced while nonzero */
    } asrc_half_dnnl_matmul;

    /* Scratchpads are ours (dnnl_scratchpad_mode_user), one growing buffer per calling thread.
       With the library's own scratchpad, Debian's oneDNN (built without concurrent execution)
       shares one buffer among primitives, and the same primitive may not run on two threads at
       once; the grouped positional convolution runs one GEMM per OpenMP thread, so the native
       bf16 kernels (AMX, AVX512-BF16), which do use a scratchpad, overwrote each other's packed
       operands: wrong products that changed from run to run. */
    static _Thread_local void *asrc_half_dnnl_scratch;
    static _Thread_local size_t asrc_half_dnnl_scratch_size;

    /* This thread's scratchpad of at least `size` bytes, or NULL when memory is short. */
    static void *asrc_half_dnnl_scratchpad(size_t size) {
      if (size <= asrc_half_dnnl_scratch_size) return asrc_half_dnnl_scratch;
      free(asrc_half_dnnl_scratch);
      asrc_half_dnnl_scratch = aligned_alloc(64, (size + 63) / 64 * 64);
      asrc_half_dnnl_scratch_size = asrc_half_dnnl_scratch ? size : 0;
      return asrc_half_dnnl_scratch;
    }

    #ifndef ASRC_HALF_DNNL_CACHE /* a test builds with 1 to run the full-table paths */
    #define ASRC_HALF_DNNL_CACHE 2048
    #endif
    static asrc_half_dnnl_matmul asrc_half_dnnl_cache[ASRC_HALF_DNNL_CACHE];
    /* Indices into the table, the most recently used first: a step's shapes are found near
       the front. */
    static int asrc_half_dnnl_order[ASRC_HALF_DNNL_CACHE];
    static int asrc_half_dnnl_cached = 0;
    static pthread_mutex_t asrc_half_dnnl_lock = PTHREAD_MUTEX_INITIALIZER;

    /* Fills `entry` for the shape in `key`; its primitive stays NULL when oneDNN has no kernel. */
    static void asrc_half_dnnl_make(const int64_t key[14], asrc_half_dnnl_matmul *entry) {
      memcpy(entry->key, key, sizeof entry->key);
      entry->primitive = NULL;
      const dnnl_data_type_t type = key[0] ? dnnl_f16 : dnnl_bf16;
      const int64_t ta = key[1], tb = key[2], batch = key[3], m = key[4], n = key[5], k = key[6];
      const int64_t lda = key[7], ldb = key[8], ldc = key[9], sa = key[10], sb = key[11], sc = key[12];
      dnnl_dims_t a_dims = {batch, m, k}, b_dims = {batch, k, n}, c_dims = {batch, m, n};
      dnnl_dims_t a_strides = {sa, ta ? 1 : lda, ta ? lda : 1}, b_strides = {sb, tb ? 1 : ldb, tb ? ldb : 1}, c_strides = {sc, ldc, 1};
      dnnl_matmul_desc_t desc;
      dnnl_primitive_attr_t attributes = NULL;
      dnnl_post_ops_t post_ops = NULL;
      dnnl_primitive_desc_t primitive_desc = NULL;
      int ok = asrc_half_dnnl_engine != NULL && dnnl_memory_desc_init_by_strides(&entry->a, 3, a_dims, type, a_strides) == dnnl_success &&
               dnnl_memory_desc_init_by_strides(&entry->b, 3, b_dims, type, b_strides) == dnnl_success &&
               dnnl_memory_desc_init_by_strides(&entry->c, 3, c_dims, dnnl_f32, c_strides) == dnnl_success &&
               dnnl_matmul_desc_init(&desc, &entry->a, &entry->b, NULL, &entry->c) == dnnl_success &&
               dnnl_primitive_attr_create(&attributes) == dnnl_success &&
               dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user) == dnnl_success;
      /* beta = 1 (the only other value the emitter passes): C += A B, as a sum post-op. */
      if (ok && key[13]) {
        ok = dnnl_post_ops_create(&post_ops) == dnnl_success && dnnl_post_ops_append_sum(post_ops, 1.0f) == dnnl_success &&
             dnnl_primitive_attr_set_post_ops(attributes, post_ops) == dnnl_success;
      }
      if (ok && dnnl_primitive_desc_create(&primitive_desc, &desc, attributes, asrc_half_dnnl_engine, NULL) == dnnl_success) {
        const dnnl_memory_desc_t *scratchpad = dnnl_primitive_desc_query_md(primitive_desc, dnnl_query_scratchpad_md, 0);
        if (scratchpad) entry->scratchpad = *scratchpad;
        if (!scratchpad || dnnl_primitive_create(&entry->primitive, primitive_desc) != dnnl_success) entry->primitive = NULL;
      }
      if (primitive_desc) dnnl_primitive_desc_destroy(primitive_desc);
      if (post_ops) dnnl_post_ops_destroy(post_ops);
      if (attributes) dnnl_primitive_attr_destroy(attributes);
    }

    /* Moves position `at` of the recency order to the front. */
    static void asrc_half_dnnl_touch(int at) {
      const int index = asrc_half_dnnl_order[at];
      memmove(asrc_half_dnnl_order + 1, asrc_half_dnnl_order, (size_t)at * sizeof(int));
      asrc_half_dnnl_order[0] = index;
    }

    /* The table's matmul for a shape, created on first use (in place of the least recently used
       one that no call is running when the table is full), with a user counted until
       asrc_half_dnnl_release; or, when every entry is running, `spare` filled for this call only
       (the caller destroys its primitive). */
    static asrc_half_dnnl_matmul *asrc_half_dnnl_find(const int64_t key[14], asrc_half_dnnl_matmul *spare) {
      pthread_mutex_lock(&asrc_half_dnnl_lock);
      for (int at = 0; at < asrc_half_dnnl_cached; at++) {
        asrc_half_dnnl_matmul *entry = &asrc_half_dnnl_cache[asrc_half_dnnl_order[at]];
        if (memcmp(entry->key, key, sizeof entry->key) == 0) {
          entry->users++;
          asrc_half_dnnl_touch(at);
          pthread_mutex_unlock(&asrc_half_dnnl_lock);
          return entry;
        }
      }
      int at = -1;
      if (asrc_half_dnnl_cached < ASRC_HALF_DNNL_CACHE) {
        asrc_half_dnnl_order[asrc_half_dnnl_cached] = asrc_half_dnnl_cached;
        at = asrc_half_dnnl_cached++;
      } else {
        for (int candidate = asrc_half_dnnl_cached - 1; candidate >= 0 && at < 0; candidate--)
          if (asrc_half_dnnl_cache[asrc_half_dnnl_order[candidate]].users == 0) at = candidate;
        if (at < 0) {
          pthread_mutex_unlock(&asrc_half_dnnl_lock);
          asrc_half_dnnl_make(key, spare);
          return spare;
        }
        asrc_half_dnnl_matmul *old = &asrc_half_dnnl_cache[asrc_half_dnnl_order[at]];
        if (old->primitive) dnnl_primitive_destroy(old->primitive);
      }
      asrc_half_dnnl_matmul *made = &asrc_half_dnnl_cache[asrc_half_dnnl_order[at]];
      asrc_half_dnnl_make(key, made);
      made->users = 1;
      asrc_half_dnnl_touch(at);
      pthread_mutex_unlock(&asrc_half_dnnl_lock);
      return made;
    }

    /* Ends a call's use of a table entry (not of a spare). */
    static void asrc_half_dnnl_release(asrc_half_dnnl_matmul *entry, const asrc_half_dnnl_matmul *spare) {
      if (entry == spare) return;
      pthread_mutex_lock(&asrc_half_dnnl_lock);
      entry->users--;
      pthread_mutex_unlock(&asrc_half_dnnl_lock);
    }

    /* Runs the cached matmul; nonzero when oneDNN cannot (the caller takes the widened path). */
    static int asrc_half_dnnl_gemm(int f16, int ta, int tb, int64_t batch, int64_t m, int64_t n, int64_t k, const uint16_t *a, int64_t lda,
                              int64_t stride_a, const uint16_t *b, int64_t ldb, int64_t stride_b, int accumulate, float *c, int64_t ldc,
                              int64_t stride_c) {
      pthread_once(&asrc_half_dnnl_once, asrc_half_dnnl_start);
      const int64_t key[14] = {f16, ta, tb, batch, m, n, k, lda, ldb, ldc, stride_a, stride_b, stride_c, accumulate};
      asrc_half_dnnl_matmul spare;
      memset(&spare, 0, sizeof spare);
      asrc_half_dnnl_matmul *matmul = asrc_half_dnnl_find(key, &spare);
      if (!matmul->primitive) {
        asrc_half_dnnl_release(matmul, &spare);
        return -1;
      }
      const size_t scratch_size = dnnl_memory_desc_get_size(&matmul->scratchpad);
      void *scratch = scratch_size ? asrc_half_dnnl_scratchpad(scratch_size) : NULL;
      dnnl_memory_t memories[4] = {NULL, NULL, NULL, NULL};
      int status = (!scratch_size || scratch) &&
                           (asrc_half_dnnl_stream || dnnl_stream_create(&asrc_half_dnnl_stream, asrc_half_dnnl_engine, dnnl_stream_default_flags) == dnnl_success) &&
                           dnnl_memory_create(&memories[0], &matmul->a, asrc_half_dnnl_engine, (void *)a) == dnnl_success &&
                           dnnl_memory_create(&memories[1], &matmul->b, asrc_half_dnnl_engine, (void *)b) == dnnl_success &&
                           dnnl_memory_create(&memories[2], &matmul->c, asrc_half_dnnl_engine, c) == dnnl_success &&
                           dnnl_memory_create(&memories[3], &matmul->scratchpad, asrc_half_dnnl_engine, scratch) == dnnl_success
                       ? 0
                       : -1;
      if (status == 0) {
        dnnl_exec_arg_t arguments[4] = {
            {DNNL_ARG_SRC, memories[0]}, {DNNL_ARG_WEIGHTS, memories[1]}, {DNNL_ARG_DST, memories[2]}, {DNNL_ARG_SCRATCHPAD, memories[3]}};
        status = dnnl_primitive_execute(matmul->primitive, asrc_half_dnnl_stream, 4, arguments) == dnnl_success &&
                         dnnl_stream_wait(asrc_half_dnnl_stream) == dnnl_success
                     ? 0
                     : -1;
      }
      for (int i = 0; i < 4; i++)
        if (memories[i]) dnnl_memory_destroy(memories[i]);
      asrc_half_dnnl_release(matmul, &spare);
      if (spare.primitive) dnnl_primitive_destroy(spare.primitive);
      return status;
    }

    /* Copies op(X) of a half matrix (rows x cols, leading dimension ld) into a row-major
       rows x padded_cols buffer whose extra columns are zero. */
    static void asrc_half_pad_columns(int trans, int64_t rows, int64_t cols, int64_t padded_cols, const uint16_t *x, int64_t ld, uint16_t *out) {
      if (trans) { /* in 32 x 32 tiles, so that every cache line read is used 32 times */
        for (int64_t r0 = 0; r0 < rows; r0 += 32)
          for (int64_t c0 = 0; c0 < cols; c0 += 32) {
            const int64_t r1 = r0 + 32 < rows ? r0 + 32 : rows, c1 = c0 + 32 < cols ? c0 + 32 : cols;
            for (int64_t r = r0; r < r1; r++)
              for (int64_t c = c0; c < c1; c++) out[r * padded_cols + c] = x[c * ld + r];
          }
      }
      for (int64_t r = 0; r < rows; r++) {
        uint16_t *row = out + r * padded_cols;
        if (!trans) memcpy(row, x + r * ld, (size_t)cols * sizeof(uint16_t));
        for (int64_t c = cols; c < padded_cols; c++) row[c] = 0;
      }
    }

    /* Whether oneDNN has a bf16 matmul on this CPU at all, asked once with a small shape. It
       has none without AVX-512 (an AMD Zen 3, say); bf16 then takes f16's path, widened once
       and run by the threaded f32 GEMM, instead of asking oneDNN for every part of every call
       and widening the shared operand on each thread. With the widening threaded too, base
       inference in bf16 there went from 0.210-0.220 s per audio-second to 0.163-0.201, and in
       f16 from 0.215-0.238 to 0.171-0.216 (docs/architecture.md, "On a CPU without AVX-512").
       ASRC_HALF_BF16_ON_DNNL=0 at build time takes the widened path on every CPU, so that tests
       run it where oneDNN does have a bf16 matmul. */
    #ifndef ASRC_HALF_BF16_ON_DNNL
    #define ASRC_HALF_BF16_ON_DNNL 1
    #endif
    static int asrc_half_bf16_native_answer;
    static pthread_once_t asrc_half_bf16_native_once = PTHREAD_ONCE_INIT;

    static void asrc_half_bf16_native_ask(void) {
      if (!ASRC_HALF_BF16_ON_DNNL) return;
      pthread_once(&asrc_half_dnnl_once, asrc_half_dnnl_start);
      const int64_t key[14] = {0, 0, 0, 1, 32, 32, 32, 32, 32, 32, 1024, 1024, 1024, 0};
      asrc_half_dnnl_matmul probe;
      memset(&probe, 0, sizeof probe);
      asrc_half_dnnl_make(key, &probe);
      asrc_half_bf16_native_answer = probe.primitive != NULL;
      if (probe.primitive) dnnl_primitive_destroy(probe.primitive);
    }

    /* Whether a half GEMM of this dtype runs on oneDNN's matmul (bf16 where oneDNN has one). */
    static int asrc_half_on_dnnl(int f16) {
      if (f16) return 0;
      pthread_once(&asrc_half_bf16_native_once, asrc_half_bf16_native_ask);
      return asrc_half_bf16_native_answer;
    }

    /* One part of a half GEMM on the calling thread alone: oneDNN's matmul planned and run with
       a team of one, else widened to f32. Debian's oneDNN 2.6 AMX kernels fail two ways that
       tools/probe-onednn-bf16 shows: with two threads, some small products (M up to 32, N from
       49 to 62) come out wrong; and with an odd K a tile multiply raises SIGILL. So every
       primitive runs on one thread (asrc_gemm_half splits the work itself), and oneDNN never
       sees an odd K (asrc_gemm_half pads it). */
    static int asrc_gemm_half_part(int f16, int ta, int tb, int64_t batch, int64_t m, int64_t n, int64_t k, const uint16_t *a, int64_t lda,
                                   int64_t stride_a, const uint16_t *b, int64_t ldb, int64_t stride_b, float beta, float *c, int64_t ldc,
                                   int64_t stride_c) {
      if (batch == 1) { /* one matrix: its strides only need to be valid for oneDNN */
        stride_a = ta ? k * lda : m * lda;
        stride_b = tb ? n * ldb : k * ldb;
        stride_c = m * ldc;
      }
      if (asrc_half_on_dnnl(f16) && k > 0 && k % 2 == 0) {
        const int threads = omp_get_max_threads();
        omp_set_num_threads(1);
        const int status = asrc_half_dnnl_gemm(f16, ta, tb, batch, m, n, k, a, lda, stride_a, b, ldb, stride_b, beta != 0, c, ldc, stride_c);
        omp_set_num_threads(threads);
        if (status == 0) return 0;
      }
      /* k = 0 takes this path too, which writes beta C. */
      for (int64_t item = 0; item < batch; item++) {
        if (asrc_gemm_half_widened(f16, ta, tb, m, n, k, a + item * stride_a, lda, b + item * stride_b, ldb, beta, c + item * stride_c, ldc)) return -1;
      }
      return 0;
    }

    /* Copies rows x cols of op(X) (every item's) into dense row-major rows x padded_cols
       matrices out_stride elements apart, with zero extra columns, in blocks of 32 rows over the
       threads. */
    static void asrc_half_densify(int trans, int64_t batch, int64_t rows, int64_t cols, int64_t padded_cols, const uint16_t *x, int64_t ld,
                                  int64_t stride, uint16_t *out, int64_t out_stride) {
      const int64_t blocks = (rows + 31) / 32;
      #pragma omp parallel for if(batch * rows * cols >= ASRC_PARALLEL_MIN)
      for (int64_t block = 0; block < batch * blocks; block++) {
        const int64_t item = block / blocks, first = block % blocks * 32, count = rows - first < 32 ? rows - first : 32;
        asrc_half_pad_columns(trans, count, cols, padded_cols, x + item * stride + (trans ? first : first * ld), ld,
                              out + item * out_stride + first * padded_cols);
      }
    }

    /* Products below this many multiply-adds run on one thread. */
    #ifndef ASRC_HALF_PARALLEL_MIN
    #define ASRC_HALF_PARALLEL_MIN INT64_C(1048576)
    #endif

    /* Runs the parts of a half GEMM whose operands oneDNN takes as they are: batch items over
       the threads when there are as many, else each item's rows of C (its columns when it has
       few rows) in blocks of 32, each part one single-threaded primitive. */
    static int asrc_gemm_half_split(int f16, int ta, int tb, int64_t batch, int64_t m, int64_t n, int64_t k, const uint16_t *a, int64_t lda,
                                    int64_t stride_a, const uint16_t *b, int64_t ldb, int64_t stride_b, float beta, float *c, int64_t ldc,
                                    int64_t stride_c) {
      int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
      /* f16 (and bf16 where oneDNN has no bf16 matmul) runs widened, where the f32 GEMM threads
         itself: a split would widen the shared operand on every thread. */
      if (!asrc_half_on_dnnl(f16) || batch * m * n * (k > 0 ? k : 1) < ASRC_HALF_PARALLEL_MIN) threads = 1;
      if (threads == 1) return asrc_gemm_half_part(f16, ta, tb, batch, m, n, k, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc, stride_c);
      int failure = 0;
      if (batch >= threads) {
        #pragma omp parallel num_threads(threads)
        {
          /* The team may be smaller than asked for (OMP_DYNAMIC, OMP_THREAD_LIMIT): split by it. */
          const int64_t team = omp_get_num_threads(), t = omp_get_thread_num(), first = batch * t / team, last = batch * (t + 1) / team;
          if (last > first &&
              asrc_gemm_half_part(f16, ta, tb, last - first, m, n, k, a + first * stride_a, lda, stride_a, b + first * stride_b, ldb, stride_b, beta,
                                  c + first * stride_c, ldc, stride_c)) {
            #pragma omp atomic write
            failure = 1;
          }
        }
        return failure ? -1 : 0;
      }
      const int by_rows = m >= 64 || m >= n;
      const int64_t extent = by_rows ? m : n, blocks = (extent + 31) / 32;
      for (int64_t item = 0; item < batch && !failure; item++) {
        const uint16_t *item_a = a + item * stride_a, *item_b = b + item * stride_b;
        float *item_c = c + item * stride_c;
        #pragma omp parallel num_threads(threads)
        {
          const int64_t team = omp_get_num_threads(), t = omp_get_thread_num();
          const int64_t first = blocks * t / team * 32, last = t + 1 == team ? extent : blocks * (t + 1) / team * 32;
          int failed = 0;
          if (last > first && by_rows)
            failed = asrc_gemm_half_part(f16, ta, tb, 1, last - first, n, k, item_a + (ta ? first : first * lda), lda, 0, item_b, ldb, 0, beta,
                                         item_c + first * ldc, ldc, 0);
          else if (last > first)
            failed = asrc_gemm_half_part(f16, ta, tb, 1, m, last - first, k, item_a, lda, 0, item_b + (tb ? first * ldb : first), ldb, 0, beta,
                                         item_c + first, ldc, 0);
          if (failed) {
            #pragma omp atomic write
            failure = 1;
          }
        }
      }
      return failure ? -1 : 0;
    }

    /* The half GEMM the emitter calls; beta is 0 or 1, and nonzero means memory is short. For
       bf16 on oneDNN, A is first made dense and row-major, once for all threads: on one thread oneDNN 2.6
       takes its AMX kernel (brg:avx512_core_amx_bf16) only for such operands, and its fallback
       (gemm:jit) ran at a third of the speed on the model's shapes. B is made dense too when it
       is strided, but left transposed: transposing it cost more than the faster kernel saved.
       An odd K gets a zero column in A and a zero row in B (a zero column when B is
       transposed), which is exact. */
    static int asrc_gemm_half(int f16, int ta, int tb, int64_t batch, int64_t m, int64_t n, int64_t k, const uint16_t *a, int64_t lda,
                              int64_t stride_a, const uint16_t *b, int64_t ldb, int64_t stride_b, float beta, float *c, int64_t ldc,
                              int64_t stride_c) {
      if (m <= 0 || n <= 0 || batch <= 0) return 0;
      if (batch == 1) {
        stride_a = ta ? k * lda : m * lda;
        stride_b = tb ? n * ldb : k * ldb;
        stride_c = m * ldc;
      }
      const int64_t padded = k + (k & 1);
      const int on_dnnl = asrc_half_on_dnnl(f16);
      const int copy_a = on_dnnl && k > 0 && (ta || lda != k || padded != k);
      const int copy_b = on_dnnl && k > 0 && (tb ? padded != k : ldb != n || padded != k);
      uint16_t *dense_a = copy_a ? (uint16_t *)asrc_alloc(batch * m * padded * (int64_t)sizeof(uint16_t)) : NULL;
      uint16_t *dense_b = copy_b ? (uint16_t *)asrc_alloc(batch * padded * n * (int64_t)sizeof(uint16_t)) : NULL;
      int status = -1;
      if ((!copy_a || dense_a) && (!copy_b || dense_b)) {
        if (copy_a) asrc_half_densify(ta, batch, m, k, padded, a, lda, stride_a, dense_a, m * padded);
        if (copy_b && tb) asrc_half_densify(0, batch, n, k, padded, b, ldb, stride_b, dense_b, n * padded);
        if (copy_b && !tb) {
          asrc_half_densify(0, batch, k, n, n, b, ldb, stride_b, dense_b, padded * n);
          for (int64_t item = 0; padded != k && item < batch; item++) memset(dense_b + (item * padded + k) * n, 0, (size_t)n * sizeof(uint16_t));
        }
        status = asrc_gemm_half_split(f16, copy_a ? 0 : ta, tb, batch, m, n, copy_a || copy_b ? padded : k, copy_a ? dense_a : a,
                                      copy_a ? padded : lda, copy_a ? m * padded : stride_a, copy_b ? dense_b : b,
                                      copy_b ? (tb ? padded : n) : ldb, copy_b ? padded * n : stride_b, beta, c, ldc, stride_c);
      }
      free(dense_a);
      free(dense_b);
      return status;
    }

    """
}
