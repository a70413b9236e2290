/// The bf16 convolution input gradient on oneDNN's convolution primitive (backward data), for the
/// C backend's mixed-precision steps. im2col + GEMM computes it as columns = Wᵀ · dy (f32, 39 MB
/// an item for the base model's second convolution at 4 s) and then adds the columns back into
/// dx (col2im): 269 ms of a 3 s base bf16 step. oneDNN's AMX kernel for the same product
/// (`jit:avx512_core_amx_bf16`) takes channels-last operands and needs no columns: 59–63 ms for
/// it standalone, plus the two layout transposes here.
///
/// Layout: the IR's tensors are [batch, channels, length] (ncw); the primitive runs on nwc
/// copies, so dy is transposed in and dx out, each item by one thread. As the half GEMMs do
/// (HalfPrelude), the work is split by batch items over the threads and every primitive runs on
/// a team of one: Debian's oneDNN 2.6 gives wrong AMX products when it threads some small
/// shapes itself. Primitives are kept per shape in a small table (replaced least recently used
/// first), with scratchpads of our own per thread. A nonzero return (no bf16 kernel, fewer items
/// than threads, memory short) leaves the emitter's im2col path to compute it.
enum HalfConvolutionPrelude {
  static let code = """
    typedef struct {
      int64_t key[10];
      dnnl_primitive_t primitive; /* NULL: oneDNN has no kernel for this shape */
      dnnl_primitive_t weight_reorder; /* oiw into the kernel's blocked layout */
      dnnl_memory_desc_t diff_dst, weights, plain_weights, diff_src, scratchpad;
      int users;
      uint64_t last_use;
    } asrc_half_conv_entry;

    #define ASRC_HALF_CONV_CACHE 64
    static asrc_half_conv_entry asrc_half_conv_cache[ASRC_HALF_CONV_CACHE];
    static int asrc_half_conv_cached = 0;
    static uint64_t asrc_half_conv_clock = 0;
    static pthread_mutex_t asrc_half_conv_lock = PTHREAD_MUTEX_INITIALIZER;

    static int asrc_half_conv_needs_no_scratchpad(const_dnnl_primitive_desc_t primitive_desc) {
      const dnnl_memory_desc_t *scratchpad = dnnl_primitive_desc_query_md(primitive_desc, dnnl_query_scratchpad_md, 0);
      return !scratchpad || dnnl_memory_desc_get_size(scratchpad) == 0;
    }

    /* Fills `entry` for key = {items, channels, length, filters, kernel, out_length, stride,
       padding, dilation, 0}; its primitive stays NULL when oneDNN has no kernel. */
    static void asrc_half_conv_make(const int64_t key[10], asrc_half_conv_entry *entry) {
      memcpy(entry->key, key, sizeof entry->key);
      entry->primitive = NULL;
      entry->weight_reorder = NULL;
      const int64_t items = key[0], channels = key[1], length = key[2], filters = key[3], kernel = key[4], out_length = key[5];
      dnnl_dims_t src_dims = {items, channels, length}, weight_dims = {filters, channels, kernel}, dst_dims = {items, filters, out_length};
      dnnl_dims_t strides = {key[6]}, padding = {key[7]}, dilation = {key[8] - 1};
      /* The right padding that makes out_length: oneDNN checks the geometry exactly. */
      dnnl_dims_t padding_right = {(out_length - 1) * key[6] + (kernel - 1) * key[8] + 1 - length - key[7]};
      if (padding_right[0] < 0) padding_right[0] = 0;
      /* The AMX kernel wants its own weight layout (format "any"), and a backward primitive is
         planned from the forward one. */
      dnnl_convolution_desc_t forward_desc, desc;
      dnnl_memory_desc_t any_weights;
      dnnl_primitive_attr_t attributes = NULL;
      dnnl_primitive_desc_t forward = NULL, primitive_desc = NULL, reorder_desc = NULL;
      int ok = asrc_half_dnnl_engine != NULL && dnnl_memory_desc_init_by_tag(&entry->diff_src, 3, src_dims, dnnl_bf16, dnnl_nwc) == dnnl_success &&
               dnnl_memory_desc_init_by_tag(&entry->plain_weights, 3, weight_dims, dnnl_bf16, dnnl_oiw) == dnnl_success &&
               dnnl_memory_desc_init_by_tag(&any_weights, 3, weight_dims, dnnl_bf16, dnnl_format_tag_any) == dnnl_success &&
               dnnl_memory_desc_init_by_tag(&entry->diff_dst, 3, dst_dims, dnnl_bf16, dnnl_nwc) == dnnl_success &&
               dnnl_dilated_convolution_forward_desc_init(&forward_desc, dnnl_forward_training, dnnl_convolution_direct, &entry->diff_src, &any_weights,
                                                          NULL, &entry->diff_dst, strides, dilation, padding, padding_right) == dnnl_success &&
               dnnl_dilated_convolution_backward_data_desc_init(&desc, dnnl_convolution_direct, &entry->diff_src, &any_weights, &entry->diff_dst,
                                                                strides, dilation, padding, padding_right) == dnnl_success &&
               dnnl_primitive_desc_create(&forward, &forward_desc, NULL, asrc_half_dnnl_engine, NULL) == dnnl_success &&
               dnnl_primitive_attr_create(&attributes) == dnnl_success &&
               dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user) == dnnl_success &&
               dnnl_primitive_desc_create(&primitive_desc, &desc, attributes, asrc_half_dnnl_engine, forward) == dnnl_success;
      if (ok) {
        /* Only a native bf16 kernel pays for the transposes: not the reference or gemm paths. */
        const char *implementation = NULL;
        dnnl_primitive_desc_query(primitive_desc, dnnl_query_impl_info_str, 0, &implementation);
        const dnnl_memory_desc_t *scratchpad = dnnl_primitive_desc_query_md(primitive_desc, dnnl_query_scratchpad_md, 0);
        const dnnl_memory_desc_t *weights = dnnl_primitive_desc_query_md(primitive_desc, dnnl_query_weights_md, 0);
        ok = implementation && strstr(implementation, "bf16") && !strstr(implementation, "ref") && !strstr(implementation, "gemm") && scratchpad && weights;
        if (ok) {
          entry->scratchpad = *scratchpad;
          entry->weights = *weights;
          /* The reorder runs on several threads at once: it must need no scratchpad, since the
             library's own would be shared (see HalfPrelude's scratchpads). */
          ok = dnnl_memory_desc_equal(&entry->weights, &entry->plain_weights) ||
               (dnnl_reorder_primitive_desc_create(&reorder_desc, &entry->plain_weights, asrc_half_dnnl_engine, &entry->weights, asrc_half_dnnl_engine,
                                                   attributes) == dnnl_success &&
                asrc_half_conv_needs_no_scratchpad(reorder_desc) &&
                dnnl_primitive_create(&entry->weight_reorder, reorder_desc) == dnnl_success);
        }
        if (ok && dnnl_primitive_create(&entry->primitive, primitive_desc) != dnnl_success) entry->primitive = NULL;
        if (!ok || !entry->primitive) {
          if (entry->weight_reorder) dnnl_primitive_destroy(entry->weight_reorder);
          entry->weight_reorder = NULL;
          entry->primitive = NULL;
        }
      }
      if (reorder_desc) dnnl_primitive_desc_destroy(reorder_desc);
      if (primitive_desc) dnnl_primitive_desc_destroy(primitive_desc);
      if (forward) dnnl_primitive_desc_destroy(forward);
      if (attributes) dnnl_primitive_attr_destroy(attributes);
    }

    /* The table's entry for a shape (made on first use, in place of the least recently used idle
       one when full) with a user counted, or NULL when every entry is running. */
    static asrc_half_conv_entry *asrc_half_conv_find(const int64_t key[10]) {
      pthread_mutex_lock(&asrc_half_conv_lock);
      asrc_half_conv_entry *found = NULL, *idle = NULL;
      for (int i = 0; i < asrc_half_conv_cached && !found; i++) {
        asrc_half_conv_entry *entry = &asrc_half_conv_cache[i];
        if (memcmp(entry->key, key, sizeof entry->key) == 0) found = entry;
        else if (entry->users == 0 && (!idle || entry->last_use < idle->last_use)) idle = entry;
      }
      if (!found) {
        if (asrc_half_conv_cached < ASRC_HALF_CONV_CACHE) found = &asrc_half_conv_cache[asrc_half_conv_cached++];
        else if (idle) {
          found = idle;
          if (found->primitive) dnnl_primitive_destroy(found->primitive);
          if (found->weight_reorder) dnnl_primitive_destroy(found->weight_reorder);
        }
        if (found) asrc_half_conv_make(key, found);
      }
      if (found) {
        found->users++;
        found->last_use = ++asrc_half_conv_clock;
      }
      pthread_mutex_unlock(&asrc_half_conv_lock);
      return found;
    }

    static void asrc_half_conv_release(asrc_half_conv_entry *entry) {
      pthread_mutex_lock(&asrc_half_conv_lock);
      entry->users--;
      pthread_mutex_unlock(&asrc_half_conv_lock);
    }

    /* out[c][r] = in[r][c] for one rows x cols matrix of half bits (HalfPrelude's tiled copy). */
    static void asrc_half_transpose(int64_t rows, int64_t cols, const uint16_t *in, uint16_t *out) {
      asrc_half_pad_columns(1, cols, rows, rows, in, cols, out);
    }

    /* dx (bf16 [batch, channels, length]) = the input gradient of a convolution with weights w
       (bf16 [filters, channels, kernel], one group) for dy (bf16 [batch, filters, out_length]).
       0 when done; nonzero when the im2col path must compute it (it then writes all of dx,
       whatever this wrote). An odd channel or filter count goes there too: Debian's oneDNN 2.6
       AMX kernels raise SIGILL on some odd reduction lengths (tools/probe-onednn-bf16). */
    static int asrc_conv1d_input_grad_bf16(int64_t batch, int64_t channels, int64_t length, int64_t filters, int64_t kernel, int64_t out_length,
                                           int64_t stride, int64_t padding, int64_t dilation, const uint16_t *dy, const uint16_t *w, uint16_t *dx) {
      const int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
      if (batch < threads || batch <= 0 || length <= 0 || out_length <= 0 || channels % 2 || filters % 2) return -1;
      if (!asrc_half_on_dnnl(0)) return -1; /* no bf16 kernels in oneDNN here: nothing to ask for */
      int failure = 0, started = 0, team_size = threads;
      #pragma omp parallel num_threads(threads)
      {
        /* The team may be smaller than asked for: split by the one OpenMP gave. */
        const int64_t team = omp_get_num_threads(), t = omp_get_thread_num(), first = batch * t / team, last = batch * (t + 1) / team;
        const int64_t items = last - first;
        if (t == 0) team_size = (int)team;
        /* Planned and run for one thread (see above). */
        const int outer = omp_get_max_threads();
        omp_set_num_threads(1);
        const int64_t key[10] = {items, channels, length, filters, kernel, out_length, stride, padding, dilation, 0};
        asrc_half_conv_entry *entry = items > 0 ? asrc_half_conv_find(key) : NULL;
        int ok = items == 0 || (entry && entry->primitive);
        /* Every thread decides before any writes dx, so that a failure leaves dx to the fallback. */
        #pragma omp atomic update
        started += ok;
        #pragma omp barrier
        if (started == team && items > 0) {
          const size_t scratch_size = dnnl_memory_desc_get_size(&entry->scratchpad);
          void *scratch = scratch_size ? asrc_half_dnnl_scratchpad(scratch_size) : NULL;
          uint16_t *dy_nwc = (uint16_t *)asrc_alloc(items * out_length * filters * (int64_t)sizeof(uint16_t));
          uint16_t *dx_nwc = (uint16_t *)asrc_alloc(items * length * channels * (int64_t)sizeof(uint16_t));
          void *blocked = entry->weight_reorder ? asrc_alloc((int64_t)dnnl_memory_desc_get_size(&entry->weights)) : NULL;
          dnnl_memory_t memories[5] = {NULL, NULL, NULL, NULL, NULL};
          ok = (!scratch_size || scratch) && dy_nwc && dx_nwc && (!entry->weight_reorder || blocked) &&
               (asrc_half_dnnl_stream || dnnl_stream_create(&asrc_half_dnnl_stream, asrc_half_dnnl_engine, dnnl_stream_default_flags) == dnnl_success) &&
               dnnl_memory_create(&memories[0], &entry->diff_dst, asrc_half_dnnl_engine, dy_nwc) == dnnl_success &&
               dnnl_memory_create(&memories[1], &entry->weights, asrc_half_dnnl_engine, blocked ? blocked : (void *)w) == dnnl_success &&
               dnnl_memory_create(&memories[2], &entry->diff_src, asrc_half_dnnl_engine, dx_nwc) == dnnl_success &&
               dnnl_memory_create(&memories[3], &entry->scratchpad, asrc_half_dnnl_engine, scratch) == dnnl_success &&
               dnnl_memory_create(&memories[4], &entry->plain_weights, asrc_half_dnnl_engine, (void *)w) == dnnl_success;
          if (ok && entry->weight_reorder) {
            dnnl_exec_arg_t reorder_arguments[2] = {{DNNL_ARG_FROM, memories[4]}, {DNNL_ARG_TO, memories[1]}};
            ok = dnnl_primitive_execute(entry->weight_reorder, asrc_half_dnnl_stream, 2, reorder_arguments) == dnnl_success &&
                 dnnl_stream_wait(asrc_half_dnnl_stream) == dnnl_success;
          }
          if (ok) {
            for (int64_t item = 0; item < items; item++)
              asrc_half_transpose(filters, out_length, dy + (first + item) * filters * out_length, dy_nwc + item * out_length * filters);
            dnnl_exec_arg_t arguments[4] = {
                {DNNL_ARG_DIFF_DST, memories[0]}, {DNNL_ARG_WEIGHTS, memories[1]}, {DNNL_ARG_DIFF_SRC, memories[2]}, {DNNL_ARG_SCRATCHPAD, memories[3]}};
            ok = dnnl_primitive_execute(entry->primitive, asrc_half_dnnl_stream, 4, arguments) == dnnl_success &&
                 dnnl_stream_wait(asrc_half_dnnl_stream) == dnnl_success;
            for (int64_t item = 0; ok && item < items; item++)
              asrc_half_transpose(length, channels, dx_nwc + item * length * channels, dx + (first + item) * channels * length);
          }
          for (int i = 0; i < 5; i++)
            if (memories[i]) dnnl_memory_destroy(memories[i]);
          free(dy_nwc);
          free(dx_nwc);
          free(blocked);
        }
        if (entry) asrc_half_conv_release(entry);
        omp_set_num_threads(outer);
        if (!ok) {
          #pragma omp atomic write
          failure = 1;
        }
      }
      /* A failure after the split started may have written part of dx: the fallback rewrites
         all of it. */
      return started == team_size && !failure ? 0 : -1;
    }

    """
}
