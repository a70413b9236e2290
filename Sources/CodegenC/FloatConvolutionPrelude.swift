/// The f32 forward convolution on oneDNN's direct (jit) kernels, for the C backend's conv1d
/// with more taps than `DirectConvolutionEmitter` takes: the feature encoder's convolutions
/// after the first, and the positional one. im2col + GEMM copies each item's input `kernel`
/// times into columns and then multiplies; oneDNN's direct kernel needs no columns. It runs on
/// blocked copies (channels in blocks of 8 on AVX2), so the cost beside the product is
/// reordering input and output.
///
/// One call runs the batch on oneDNN's threads (the OpenMP pool the step shares), in groups of
/// items whose blocked copies stay under 64 MiB, under the lock that already serialises the
/// step's other oneDNN primitives (its scratchpad is the library's, shared between primitives).
/// Primitives and their reorders are kept per shape, the least recently used replaced first;
/// making one for a new clip length takes about 0.1 ms. The blocked copies live in buffers
/// kept between calls: at most the larger of 64 MiB and one item's copies, beside the im2col
/// columns the gradients keep. A nonzero return (no direct kernel for the shape, memory
/// short, called inside a parallel region) leaves the emitter's im2col path to compute all of
/// the result; a shape that has no direct kernel is remembered and declined at once.
///
/// The primitive is planned for `forward_training`, as the step uses it. The direct kernels
/// were measured on AVX2 only (`aBc8b`, `jit:avx2`); on AVX-512 oneDNN picks wider blocks, and
/// any implementation but its im2col (`gemm`) and reference code is taken.
///
/// Each output sums its taps in oneDNN's order, not the GEMM's: the results differ from the
/// im2col path's in the last bits (within 1e-6 relative on the demo's second convolution).
enum FloatConvolutionPrelude {
  static let code = """
    typedef struct {
      int64_t key[11];
      dnnl_primitive_t primitive; /* NULL: no direct kernel for this shape; the im2col path runs it */
      dnnl_primitive_t reorders[3]; /* input, weights into the kernel's layouts; output out of it (NULL: same layout) */
      dnnl_memory_desc_t plain[3], blocked[3], bias;
      int known; /* 0: making the entry failed before oneDNN chose an implementation */
      uint64_t last_use;
    } asrc_conv_entry;

    #define ASRC_CONV_CACHE 32
    static asrc_conv_entry asrc_conv_cache[ASRC_CONV_CACHE];
    static int asrc_conv_cached = 0;
    static uint64_t asrc_conv_clock = 0;
    static void *asrc_conv_buffers[3] = {NULL, NULL, NULL};
    static size_t asrc_conv_buffer_sizes[3] = {0, 0, 0};

    static void asrc_conv_forget(asrc_conv_entry *entry) {
      if (entry->primitive) dnnl_primitive_destroy(entry->primitive);
      for (int i = 0; i < 3; i++)
        if (entry->reorders[i]) dnnl_primitive_destroy(entry->reorders[i]);
    }

    /* key = {batch, channels, length, filters, kernel, out_length, stride, padding, dilation, groups, has bias} */
    static void asrc_conv_make(const int64_t key[11], asrc_conv_entry *entry) {
      memset(entry, 0, sizeof *entry);
      memcpy(entry->key, key, sizeof entry->key);
      const int64_t batch = key[0], channels = key[1], length = key[2], filters = key[3], kernel = key[4], out_length = key[5], groups = key[9];
      dnnl_dims_t src_dims = {batch, channels, length}, dst_dims = {batch, filters, out_length}, bias_dims = {filters};
      dnnl_dims_t weight_dims = {groups, filters / groups, channels / groups, kernel};
      dnnl_dims_t strides = {key[6]}, padding = {key[7]}, dilation = {key[8] - 1};
      dnnl_dims_t padding_right = {(out_length - 1) * key[6] + (kernel - 1) * key[8] + 1 - length - key[7]};
      if (padding_right[0] < 0) padding_right[0] = 0;
      const int weight_rank = groups > 1 ? 4 : 3;
      if (groups == 1) { weight_dims[0] = filters; weight_dims[1] = channels; weight_dims[2] = kernel; }
      dnnl_memory_desc_t any[3];
      dnnl_convolution_desc_t desc;
      dnnl_primitive_desc_t primitive_desc = NULL;
      int ok = dnnl_memory_desc_init_by_tag(&entry->plain[0], 3, src_dims, dnnl_f32, dnnl_ncw) == dnnl_success &&
               dnnl_memory_desc_init_by_tag(&entry->plain[1], weight_rank, weight_dims, dnnl_f32, groups > 1 ? dnnl_goiw : dnnl_oiw) == dnnl_success &&
               dnnl_memory_desc_init_by_tag(&entry->plain[2], 3, dst_dims, dnnl_f32, dnnl_ncw) == dnnl_success &&
               dnnl_memory_desc_init_by_tag(&entry->bias, 1, bias_dims, dnnl_f32, dnnl_x) == dnnl_success &&
               dnnl_memory_desc_init_by_tag(&any[0], 3, src_dims, dnnl_f32, dnnl_format_tag_any) == dnnl_success &&
               dnnl_memory_desc_init_by_tag(&any[1], weight_rank, weight_dims, dnnl_f32, dnnl_format_tag_any) == dnnl_success &&
               dnnl_memory_desc_init_by_tag(&any[2], 3, dst_dims, dnnl_f32, dnnl_format_tag_any) == dnnl_success &&
               dnnl_dilated_convolution_forward_desc_init(&desc, dnnl_forward_training, dnnl_convolution_direct, &any[0], &any[1], key[10] ? &entry->bias : NULL,
                                                          &any[2], strides, dilation, padding, padding_right) == dnnl_success;
      const dnnl_status_t planned = ok ? dnnl_primitive_desc_create(&primitive_desc, &desc, NULL, asrc_dnnl_engine, NULL) : dnnl_runtime_error;
      if (planned == dnnl_unimplemented) entry->known = 1; /* no implementation at all */
      ok = planned == dnnl_success;
      /* Only a direct kernel pays for the reorders: oneDNN's own im2col ("gemm:jit", which 2.6
         takes for grouped convolutions on AVX2) and its reference code stay with ours. */
      const char *implementation = NULL;
      if (ok) {
        ok = dnnl_primitive_desc_query(primitive_desc, dnnl_query_impl_info_str, 0, &implementation) == dnnl_success && implementation &&
             !strstr(implementation, "gemm") && !strstr(implementation, "ref");
        entry->known = 1; /* a kernel or none, for good: the shape need not be asked again */
      }
      const dnnl_query_t queries[3] = {dnnl_query_src_md, dnnl_query_weights_md, dnnl_query_dst_md};
      for (int i = 0; ok && i < 3; i++) {
        entry->blocked[i] = *dnnl_primitive_desc_query_md(primitive_desc, queries[i], 0);
        if (dnnl_memory_desc_equal(&entry->blocked[i], &entry->plain[i])) continue;
        dnnl_primitive_desc_t reorder_desc = NULL;
        const dnnl_memory_desc_t *from = i < 2 ? &entry->plain[i] : &entry->blocked[i], *to = i < 2 ? &entry->blocked[i] : &entry->plain[i];
        ok = dnnl_reorder_primitive_desc_create(&reorder_desc, from, asrc_dnnl_engine, to, asrc_dnnl_engine, NULL) == dnnl_success &&
             dnnl_primitive_create(&entry->reorders[i], reorder_desc) == dnnl_success;
        if (reorder_desc) dnnl_primitive_desc_destroy(reorder_desc);
      }
      if (ok) ok = dnnl_primitive_create(&entry->primitive, primitive_desc) == dnnl_success;
      if (primitive_desc) dnnl_primitive_desc_destroy(primitive_desc);
      if (!ok) {
        asrc_conv_forget(entry);
        memset(entry->reorders, 0, sizeof entry->reorders);
        entry->primitive = NULL;
      }
      /* Any other failure (memory short, a reorder refused) is not remembered: the entry
         matches no shape and goes first. */
      if (!entry->known) entry->key[0] = -1;
    }

    /* A kept buffer of at least `size` bytes (grown, never shrunk); NULL when memory is short. */
    static void *asrc_conv_buffer(int index, size_t size) {
      if (size > asrc_conv_buffer_sizes[index]) {
        free(asrc_conv_buffers[index]);
        asrc_conv_buffers[index] = asrc_alloc((int64_t)size);
        asrc_conv_buffer_sizes[index] = asrc_conv_buffers[index] ? size : 0;
      }
      return asrc_conv_buffers[index];
    }

    /* One call of the primitive for `batch` items: 0 when done. */
    static int asrc_conv1d_f32_items(int64_t batch, int64_t channels, int64_t length, int64_t filters, int64_t kernel, int64_t out_length, int64_t stride,
                                     int64_t padding, int64_t dilation, int64_t groups, const float *x, const float *w, const float *bias, float *y) {
      if (omp_in_parallel() || batch <= 0 || out_length <= 0 || length <= 0) return -1;
      const int64_t key[11] = {batch, channels, length, filters, kernel, out_length, stride, padding, dilation, groups, bias != NULL};
      pthread_mutex_lock(&asrc_dnnl_lock);
      int ok = asrc_dnnl_engine || dnnl_engine_create(&asrc_dnnl_engine, dnnl_cpu, 0) == dnnl_success;
      ok = ok && (asrc_dnnl_stream || dnnl_stream_create(&asrc_dnnl_stream, asrc_dnnl_engine, dnnl_stream_default_flags) == dnnl_success);
      asrc_conv_entry *entry = NULL;
      for (int i = 0; ok && i < asrc_conv_cached && !entry; i++)
        if (memcmp(asrc_conv_cache[i].key, key, sizeof key) == 0) entry = &asrc_conv_cache[i];
      if (ok && !entry) {
        if (asrc_conv_cached < ASRC_CONV_CACHE) entry = &asrc_conv_cache[asrc_conv_cached++];
        else {
          entry = &asrc_conv_cache[0];
          for (int i = 1; i < ASRC_CONV_CACHE; i++)
            if (asrc_conv_cache[i].last_use < entry->last_use) entry = &asrc_conv_cache[i];
          asrc_conv_forget(entry);
        }
        asrc_conv_make(key, entry);
      }
      if (entry) entry->last_use = entry->known ? ++asrc_conv_clock : 0;
      ok = ok && entry->primitive;
      void *plain[3] = {(void *)x, (void *)w, y}, *handles[3];
      dnnl_memory_t plain_memories[3] = {NULL, NULL, NULL}, blocked_memories[3] = {NULL, NULL, NULL}, bias_memory = NULL;
      for (int i = 0; ok && i < 3; i++) {
        handles[i] = entry->reorders[i] ? asrc_conv_buffer(i, dnnl_memory_desc_get_size(&entry->blocked[i])) : plain[i];
        ok = handles[i] && dnnl_memory_create(&plain_memories[i], &entry->plain[i], asrc_dnnl_engine, plain[i]) == dnnl_success &&
             dnnl_memory_create(&blocked_memories[i], &entry->blocked[i], asrc_dnnl_engine, handles[i]) == dnnl_success;
      }
      if (ok && bias) ok = dnnl_memory_create(&bias_memory, &entry->bias, asrc_dnnl_engine, (void *)bias) == dnnl_success;
      for (int i = 0; ok && i < 2; i++) {
        if (!entry->reorders[i]) continue;
        dnnl_exec_arg_t arguments[2] = {{DNNL_ARG_FROM, plain_memories[i]}, {DNNL_ARG_TO, blocked_memories[i]}};
        ok = dnnl_primitive_execute(entry->reorders[i], asrc_dnnl_stream, 2, arguments) == dnnl_success;
      }
      if (ok) {
        dnnl_exec_arg_t arguments[4] = {{DNNL_ARG_SRC, blocked_memories[0]}, {DNNL_ARG_WEIGHTS, blocked_memories[1]}, {DNNL_ARG_DST, blocked_memories[2]},
                                        {DNNL_ARG_BIAS, bias_memory}};
        ok = dnnl_primitive_execute(entry->primitive, asrc_dnnl_stream, bias ? 4 : 3, arguments) == dnnl_success;
      }
      if (ok && entry->reorders[2]) {
        dnnl_exec_arg_t arguments[2] = {{DNNL_ARG_FROM, blocked_memories[2]}, {DNNL_ARG_TO, plain_memories[2]}};
        ok = dnnl_primitive_execute(entry->reorders[2], asrc_dnnl_stream, 2, arguments) == dnnl_success;
      }
      ok = ok && dnnl_stream_wait(asrc_dnnl_stream) == dnnl_success;
      for (int i = 0; i < 3; i++) {
        if (plain_memories[i]) dnnl_memory_destroy(plain_memories[i]);
        if (blocked_memories[i]) dnnl_memory_destroy(blocked_memories[i]);
      }
      if (bias_memory) dnnl_memory_destroy(bias_memory);
      pthread_mutex_unlock(&asrc_dnnl_lock);
      return ok ? 0 : -1;
    }

    /* The blocked copies of one call's input and output stay under this many bytes: the items
       go through in groups, one at a time when a single item is larger (the base model's second
       convolution at 10 s, 98 MB). So the kept buffers add at most the larger of this and one
       item's copies to the library's memory, beside the im2col columns the gradients keep. */
    #define ASRC_CONV_CALL_BYTES (INT64_C(64) << 20)

    /* y = conv1d(x, w) (+ bias): 0 when done; nonzero when the im2col path must compute it
       (all of y: a group of items that failed after others were done is computed again). */
    static int asrc_conv1d_f32(int64_t batch, int64_t channels, int64_t length, int64_t filters, int64_t kernel, int64_t out_length, int64_t stride,
                               int64_t padding, int64_t dilation, int64_t groups, const float *x, const float *w, const float *bias, float *y) {
      /* Blocked layouts pad the channels to their block (8 or 16): counted at 16. */
      const int64_t item_bytes = ((channels + 15) / 16 * 16 * length + (filters + 15) / 16 * 16 * out_length) * (int64_t)sizeof(float);
      const int64_t per_call = item_bytes > 0 && item_bytes < ASRC_CONV_CALL_BYTES ? ASRC_CONV_CALL_BYTES / item_bytes : 1;
      for (int64_t first = 0; first < batch; first += per_call) {
        const int64_t items = batch - first < per_call ? batch - first : per_call;
        if (asrc_conv1d_f32_items(items, channels, length, filters, kernel, out_length, stride, padding, dilation, groups, x + first * channels * length, w,
                                  bias, y + first * filters * out_length))
          return -1;
      }
      return batch > 0 ? 0 : -1;
    }

    """
}
