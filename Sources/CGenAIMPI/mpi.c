// Open MPI through dlopen (see genai_mpi.h). Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT,
// MPI_SUM, ...) are the addresses of exported globals (`ompi_mpi_comm_world`, ...), so they are
// found with dlsym like the functions; MPI_IN_PLACE is (void *)1 and MPI_STATUS_IGNORE is NULL
// (Open MPI's mpi.h). MPICH's integer handles differ, so an MPICH library is refused by name.
#include "genai_mpi.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef void *Handle;  // MPI_Comm, MPI_Datatype, MPI_Op, MPI_Request: pointers in Open MPI

static struct {
  int (*init)(int *, char ***);
  int (*initialized)(int *);
  int (*finalize)(void);
  int (*comm_rank)(Handle, int *);
  int (*comm_size)(Handle, int *);
  int (*iallreduce)(const void *, void *, int, Handle, Handle, Handle, Handle *);
  int (*ibcast)(void *, int, Handle, int, Handle, Handle *);
  int (*isend)(const void *, int, Handle, int, int, Handle, Handle *);
  int (*irecv)(void *, int, Handle, int, int, Handle, Handle *);
  int (*test)(Handle *, int *, void *);
  int (*request_free)(Handle *);
  int (*cancel)(Handle *);
  int (*abort)(Handle, int);
  int (*library_version)(char *, int *);
  Handle comm_world, type_float, type_double, type_byte, type_long, op_sum, op_max, op_min, request_null;
} mpi;

static int world_rank, world_size;
static long sequence;             // collectives so far on this rank (the same order on every rank)
static long *arrived;             // rank 0: the newest sequence number each rank announced
static double *heard;             // rank 0: when each rank last sent anything (monotonic seconds)
static Handle *arrival_requests;  // rank 0: the posted receive of each rank's announcement
static long announce_ring[64];    // other ranks: buffers of announcements still in flight

static const char *default_names[] = {
#ifdef __APPLE__
    "libmpi.40.dylib", "libmpi.dylib", "/opt/homebrew/lib/libmpi.dylib", "/usr/local/lib/libmpi.dylib",
#else
    "libmpi.so.40", "libmpi.so",
#endif
};

int genai_mpi_load(const char *path, char *error, size_t error_size) {
  void *lib = NULL;
  char tried[512] = "";
  if (path) {
    lib = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    snprintf(tried, sizeof tried, "%s", path);
  } else {
    for (size_t i = 0; i < sizeof default_names / sizeof *default_names && !lib; i++) {
      // RTLD_GLOBAL: Open MPI's own plug-ins (mca_*.so) resolve symbols of libmpi.
      lib = dlopen(default_names[i], RTLD_NOW | RTLD_GLOBAL);
      size_t used = strlen(tried);
      snprintf(tried + used, sizeof tried - used, "%s%s", used ? ", " : "", default_names[i]);
    }
  }
  if (!lib) {
    snprintf(error, error_size, "no MPI library found (tried %s): %s", tried, dlerror());
    return -1;
  }
  if (!dlsym(lib, "ompi_mpi_comm_world")) {
    snprintf(error, error_size, "%s is not Open MPI (no ompi_mpi_comm_world); genai supports Open MPI 4 or later", tried);
    return -1;
  }
#define SYM(field, name)                                                              \
  if (!(*(void **)&mpi.field = dlsym(lib, name))) {                                   \
    snprintf(error, error_size, "the MPI library %s lacks %s", tried, name);          \
    return -1;                                                                         \
  }
  SYM(init, "MPI_Init") SYM(initialized, "MPI_Initialized") SYM(finalize, "MPI_Finalize")
  SYM(comm_rank, "MPI_Comm_rank") SYM(comm_size, "MPI_Comm_size") SYM(iallreduce, "MPI_Iallreduce")
  SYM(ibcast, "MPI_Ibcast") SYM(isend, "MPI_Isend") SYM(irecv, "MPI_Irecv") SYM(test, "MPI_Test")
  SYM(request_free, "MPI_Request_free") SYM(cancel, "MPI_Cancel") SYM(abort, "MPI_Abort") SYM(library_version, "MPI_Get_library_version")
  SYM(comm_world, "ompi_mpi_comm_world") SYM(type_float, "ompi_mpi_float") SYM(type_double, "ompi_mpi_double")
  SYM(type_byte, "ompi_mpi_byte") SYM(type_long, "ompi_mpi_long") SYM(op_sum, "ompi_mpi_op_sum")
  SYM(op_max, "ompi_mpi_op_max") SYM(op_min, "ompi_mpi_op_min") SYM(request_null, "ompi_request_null")
#undef SYM
  return 0;
}

enum { ARRIVAL_TAG = 7201 };

static void post_arrival(int r) {
  mpi.irecv(&arrived[r], 1, mpi.type_long, r, ARRIVAL_TAG, mpi.comm_world, &arrival_requests[r]);
}

int genai_mpi_init(int *rank, int *size) {
  int done = 0;
  mpi.initialized(&done);
  if (!done) {
    int rc = mpi.init(NULL, NULL);
    if (rc) return rc;
  }
  mpi.comm_rank(mpi.comm_world, &world_rank);
  mpi.comm_size(mpi.comm_world, &world_size);
  if (world_rank == 0 && world_size > 1) {
    arrived = calloc((size_t)world_size, sizeof *arrived);
    heard = calloc((size_t)world_size, sizeof *heard);
    arrival_requests = calloc((size_t)world_size, sizeof *arrival_requests);
    for (int r = 1; r < world_size; r++) {
      heard[r] = now_seconds();
      post_arrival(r);
    }
  }
  *rank = world_rank;
  *size = world_size;
  return 0;
}

void genai_mpi_library_version(char *out, size_t out_size) {
  char text[8192];
  int length = 0;
  mpi.library_version(text, &length);
  text[length < (int)sizeof text ? length : (int)sizeof text - 1] = 0;
  char *newline = strchr(text, '\n');
  if (newline) *newline = 0;
  snprintf(out, out_size, "%s", text);
}


/// Rank 0: takes in the announcements that have arrived (re-posting each receive).
static void collect_arrivals(void) {
  if (!arrival_requests) return;
  for (int r = 1; r < world_size; r++) {
    for (;;) {
      int flag = 0;
      mpi.test(&arrival_requests[r], &flag, NULL);
      if (!flag) break;
      heard[r] = now_seconds();
      post_arrival(r);  // the next announcement; arrived[r] now holds this one's number
    }
  }
}

/// Every rank but 0 tells rank 0 it reached collective number `sequence` (a small eager send,
/// freed at once), and repeats it every half second while it waits, so that rank 0 can name the
/// ranks that never arrive or stopped answering inside the collective.
static void announce(void) {
  if (world_rank == 0 || world_size < 2) return;
  long *slot = &announce_ring[sequence % 64];
  *slot = sequence;
  Handle request;
  mpi.isend(slot, 1, mpi.type_long, 0, ARRIVAL_TAG, mpi.comm_world, &request);
  mpi.request_free(&request);
}

/// Waits for all `requests`; polls (spinning for the first millisecond, then sleeping 100 µs
/// between tests, so a waiting rank leaves its core to the others on a busy machine).
static int wait_all(Handle *requests, int n, double timeout_seconds, double grace) {
  double start = now_seconds();
  int pending = n;
  long polls = 0;
  double last_heartbeat = start;
  while (pending > 0) {
    pending = 0;
    for (int i = 0; i < n; i++) {
      if (requests[i] == mpi.request_null) continue;
      int flag = 0;
      mpi.test(&requests[i], &flag, NULL);
      if (!flag) pending++;
    }
    if (!pending) break;
    collect_arrivals();
    double now = now_seconds(), elapsed = now - start;
    if (now - last_heartbeat > 0.5) {
      announce();
      last_heartbeat = now;
    }
    if (timeout_seconds > 0 && elapsed > timeout_seconds + grace) return GENAI_MPI_TIMEOUT;
    if (++polls > 64 && elapsed > 1e-3) {
      struct timespec pause = {0, 100000};
      nanosleep(&pause, NULL);
    }
  }
  collect_arrivals();
  return GENAI_MPI_OK;
}

static void list_missing(int *missing, int capacity, int *count) {
  *count = -1;
  if (world_rank != 0) return;
  collect_arrivals();
  *count = 0;
  double now = now_seconds();
  for (int r = 1; r < world_size; r++) {
    // Never reached this collective, or reached it and then fell silent (a live waiting rank
    // repeats its announcement every half second).
    int silent = now - heard[r] > 2.0;
    if ((arrived[r] < sequence || silent) && *count < capacity) missing[(*count)++] = r;
  }
}

int genai_mpi_allreduce(void *buffer, long count, int type, int op, long bucket, double timeout_seconds,
                        int *missing, int missing_capacity, int *missing_count) {
  sequence++;
  announce();
  Handle datatype = type == GENAI_MPI_DOUBLE ? mpi.type_double : mpi.type_float;
  Handle reduction = op == GENAI_MPI_MAX ? mpi.op_max : op == GENAI_MPI_MIN ? mpi.op_min : mpi.op_sum;
  size_t width = type == GENAI_MPI_DOUBLE ? sizeof(double) : sizeof(float);
  if (bucket <= 0 || bucket > (1L << 30)) bucket = 1L << 30;
  long n = count > 0 ? (count + bucket - 1) / bucket : 0;
  Handle *requests = calloc((size_t)(n > 0 ? n : 1), sizeof *requests);
  for (long i = 0; i < n; i++) {
    long lo = i * bucket, m = count - lo < bucket ? count - lo : bucket;
    int rc = mpi.iallreduce((void *)1, (char *)buffer + (size_t)lo * width, (int)m, datatype, reduction,
                            mpi.comm_world, &requests[i]);
    if (rc) {
      free(requests);
      return GENAI_MPI_FAILED;
    }
  }
  // Rank 0 decides first; the others wait a little longer, so that when rank 0 is alive it is
  // the one that reports (and names the missing ranks).
  int rc = wait_all(requests, (int)n, timeout_seconds, world_rank == 0 ? 0 : 10);
  free(requests);
  if (rc == GENAI_MPI_TIMEOUT) list_missing(missing, missing_capacity, missing_count);
  return rc;
}

int genai_mpi_broadcast(void *buffer, long bytes, int root, double timeout_seconds) {
  sequence++;
  announce();
  Handle request;
  if (mpi.ibcast(buffer, (int)bytes, mpi.type_byte, root, mpi.comm_world, &request)) return GENAI_MPI_FAILED;
  return wait_all(&request, 1, timeout_seconds, world_rank == 0 ? 0 : 10);
}

void genai_mpi_abort(int code) { mpi.abort(mpi.comm_world, code); }

void genai_mpi_finalize(void) {
  if (arrival_requests) {
    // The receives still posted for announcements that will never come are cancelled first
    // (MPI_Finalize wants no pending requests).
    for (int r = 1; r < world_size; r++) {
      int flag = 0;
      mpi.cancel(&arrival_requests[r]);
      while (!flag) mpi.test(&arrival_requests[r], &flag, NULL);
    }
  }
  mpi.finalize();
}
