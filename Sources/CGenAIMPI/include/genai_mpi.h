// genai's door to MPI, opened at run time: the Open MPI library is found with dlopen when genai
// is launched by mpirun, so genai builds and runs without MPI installed. Only what data-parallel
// training needs is here: start, rank and size, in-place all-reduce with a deadline, broadcast,
// abort. Every call but genai_mpi_load requires a successful genai_mpi_load first.
#ifndef GENAI_MPI_H
#define GENAI_MPI_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Element types of a reduction.
enum { GENAI_MPI_FLOAT = 0, GENAI_MPI_DOUBLE = 1 };
/// Reduction operators.
enum { GENAI_MPI_SUM = 0, GENAI_MPI_MAX = 1, GENAI_MPI_MIN = 2 };
/// Results of a collective.
enum { GENAI_MPI_OK = 0, GENAI_MPI_TIMEOUT = 1, GENAI_MPI_FAILED = 2 };

/// Opens the MPI library (`path`, or NULL for the usual names) and resolves its functions.
/// Returns 0, or -1 with a reason in `error`.
int genai_mpi_load(const char *path, char *error, size_t error_size);

/// MPI_Init, then this process's rank and the world size. Returns 0 or an MPI error code.
int genai_mpi_init(int *rank, int *size);

/// The library's version line (MPI_Get_library_version), into `out`.
void genai_mpi_library_version(char *out, size_t out_size);

/// In-place all-reduce of `count` elements of `type` with `op` over the world, split into
/// requests of at most `bucket` elements that are all in flight together. Waits at most
/// `timeout_seconds` (<= 0: forever). On GENAI_MPI_TIMEOUT, rank 0 lists in `missing` (up to
/// `missing_capacity`) the ranks that never reached this all-reduce, and sets `missing_count`
/// (-1 when not known, as on other ranks).
int genai_mpi_allreduce(void *buffer, long count, int type, int op, long bucket, double timeout_seconds,
                        int *missing, int missing_capacity, int *missing_count);

/// Broadcast of `bytes` bytes from `root`, with the same deadline rule.
int genai_mpi_broadcast(void *buffer, long bytes, int root, double timeout_seconds);

/// Ends every process of the job (MPI_Abort) with `code`.
void genai_mpi_abort(int code);

/// MPI_Finalize.
void genai_mpi_finalize(void);

#ifdef __cplusplus
}
#endif

#endif
