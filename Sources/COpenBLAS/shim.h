// Debian's libopenblas-dev puts cblas.h under the openblas include directory that pkg-config names.
#include <cblas.h>
// openblas_get_config and openblas_set_num_threads are OpenBLAS extensions declared in cblas.h.
