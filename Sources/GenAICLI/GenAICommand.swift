import ArgumentParser
import Foundation
import GenAI
import GenAIDistributed

/// The `genai` command: a thin shell over the GenAI libraries.
@main
struct GenAICommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "genai",
    abstract: "Train, sample and evaluate generative models in native Swift.",
    discussion: """
      With no subcommand, runs `genai quickstart`: trains a DCGAN for a few minutes on \
      Fashion-MNIST (or, with no data on the machine, on built-in procedurally drawn shapes) and \
      writes a sample grid, so the whole pipeline can be tried on a fresh machine offline.

      Typical use:
        genai train dcgan --data fashion-mnist --out runs/dcgan
        genai sample runs/dcgan --count 64 --out grid.png
        genai eval runs/dcgan
        genai report runs/dcgan
        genai bench dcgan
      """,
    subcommands: [
      QuickstartCommand.self, TrainCommand.self, SampleCommand.self, EvalCommand.self, ReportCommand.self, RateCommand.self,
      TuneCommand.self, RestoreCommand.self, ServeCommand.self, BenchCommand.self,
      DatasetsCommand.self, InfoCommand.self, DemoCommand.self,
    ],
    defaultSubcommand: QuickstartCommand.self)

  /// The program's entry. A file-size limit (`ulimit -f`) then makes a write fail with `EFBIG`,
  /// reported as an error naming the file with the files before it intact, instead of SIGXFSZ
  /// killing the program in the middle of a write.
  static func main() async {
    signal(SIGXFSZ, SIG_IGN)
    await main(nil)
  }
}

/// `genai info`: what the engine runs on.
struct InfoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "info", abstract: "Show the CPU path the kernels run on, the caches, the thread count and whether MPI was found.",
    discussion: """
      Kernels (matrix products, convolutions, element-wise maps) are genai's own, compiled for \
      several instruction sets and chosen at run time from the CPU's features.
      Environment: GENAI_CPU=portable|avx2|avx512|neon forces a path; GENAI_THREADS sets the \
      thread count; GENAI_BLAS=openblas routes plain matrix products through OpenBLAS (when \
      installed) for comparison. GENAI_MPI_LIBRARY names Open MPI's libmpi for `mpirun -np N \
      genai train` (found at run time; nothing else needs it), GENAI_MPI_TIMEOUT the seconds a \
      process waits for the others before the job is ended.
      """)

  func run() throws {
    let supported = KernelPath.supported.map(\.description).joined(separator: ", ")
    print("kernel path:   \(KernelPath.active) (this CPU supports: \(supported); set GENAI_CPU to force one)")
    print("matrix products: \(BLAS.backend)")
    let kib = { (level: Int32) in "\(genaiCacheSize(level) / 1024) KiB" }
    print("caches:        L1d \(kib(1)), L2 \(kib(2)), L3 \(kib(3))")
    print("threads:       \(ThreadPool.shared.threadCount) (set GENAI_THREADS to change)")
    let mpi = MPIWorld.probe()
    print("MPI:           \(mpi.found ? mpi.description : "not found (\(mpi.description)); `mpirun -np N genai train` needs Open MPI")")
  }
}
