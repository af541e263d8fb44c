import Foundation

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// Downloads the missing files of a named dataset that has mirrors (the MNIST family), for
/// machines with a network.
///
/// Each missing file is fetched from the first mirror that answers, checked (its sha256, or the
/// sha256 of its decompressed content), and only then moved into place, so a failed or corrupt
/// download never leaves a file that looks present.
public enum DatasetDownload {
  /// What happened to one file.
  public struct Result: Sendable, Equatable {
    /// The file, relative to the dataset folder.
    public var path: String
    /// Where it came from (`nil` when it was already present).
    public var source: URL?
    /// The check that passed.
    public var check: FileCheck?
  }

  /// Fetches every missing file of `dataset` into `<directory>/<name>/`.
  /// - Parameters:
  ///   - dataset: a dataset with mirrors.
  ///   - directory: the data directory (created if needed).
  ///   - mirrors: base URLs to use instead of the dataset's own (tests use a local server).
  ///   - timeout: seconds to wait for each request.
  ///   - log: receives one line per step.
  /// - Returns: one result per expected file.
  /// - Throws: `DataError` naming the file when no mirror gives a file that passes its check, or
  ///   the dataset has no mirrors.
  public static func download(
    _ dataset: NamedDataset, into directory: DataDirectory, mirrors: [URL]? = nil, timeout: TimeInterval = 120,
    log: (String) -> Void = { _ in }
  ) throws(DataError) -> [Result] {
    let bases = mirrors ?? dataset.mirrors
    guard !bases.isEmpty else {
      throw DataError(file: dataset.name, "has no download location; " + dataset.howToObtain.joined(separator: " "))
    }
    let folder = dataset.location(in: directory)
    do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
      throw DataError(file: folder.path, "cannot create the folder: \(error.localizedDescription)")
    }
    var results: [Result] = []
    for f in DatasetCatalog.status(of: dataset, in: directory).files {
      if f.url != nil {
        results.append(Result(path: f.file.path, source: nil, check: nil))
        continue
      }
      let target = folder.appending(path: f.file.path)
      var failures: [String] = []
      var done: Result?
      for base in bases {
        let url = base.appending(path: f.file.path)
        log("fetching \(url.absoluteString)")
        let data: Data
        do { data = try fetch(url, timeout: timeout) } catch {
          failures.append("\(url.absoluteString): \(error.message)")
          continue
        }
        let partial = folder.appending(path: f.file.path + ".part")
        do { try data.write(to: partial) } catch {
          throw DataError(file: partial.path, "cannot write: \(error.localizedDescription)")
        }
        let check = DatasetCatalog.verifyFile(f.file, at: partial, name: f.file.path, listed: nil)
        guard check.passed else {
          try? FileManager.default.removeItem(at: partial)
          failures.append("\(url.absoluteString): \(check.summary)")
          continue
        }
        do {
          try? FileManager.default.removeItem(at: target)
          try FileManager.default.moveItem(at: partial, to: target)
        } catch {
          throw DataError(file: target.path, "cannot move the download into place: \(error.localizedDescription)")
        }
        log("  \(f.file.path): \(data.count) bytes, \(check.summary)")
        done = Result(path: f.file.path, source: url, check: check)
        break
      }
      guard let done else {
        throw DataError(file: target.path, "download failed from every mirror: " + failures.joined(separator: "; "))
      }
      results.append(done)
    }
    return results
  }

  /// The body of a GET of `url` (HTTP status 200), waiting at most `timeout` seconds.
  /// - Throws: `DataError` naming the URL for a network error or any other status.
  public static func fetch(_ url: URL, timeout: TimeInterval = 120) throws(DataError) -> Data {
    if url.isFileURL {
      do { return try Data(contentsOf: url) } catch {
        throw DataError(file: url.path, "cannot read: \(error.localizedDescription)")
      }
    }
    let box = FetchBox()
    let done = DispatchSemaphore(value: 0)
    let request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
    let config = URLSessionConfiguration.ephemeral
    config.timeoutIntervalForRequest = timeout
    let session = URLSession(configuration: config)
    let task = session.dataTask(with: request) { data, response, error in
      let status = (response as? HTTPURLResponse)?.statusCode
      box.set(data: data, status: status, error: error.map { "\($0.localizedDescription)" })
      done.signal()
    }
    task.resume()
    // The request's own timeout fires first; this is a backstop.
    if done.wait(timeout: .now() + timeout + 5) == .timedOut {
      task.cancel()
      session.invalidateAndCancel()
      throw DataError(file: url.absoluteString, "no answer within \(Int(timeout)) s")
    }
    session.finishTasksAndInvalidate()
    let (data, status, error) = box.get()
    if let error { throw DataError(file: url.absoluteString, error) }
    guard let status, status == 200 else {
      throw DataError(file: url.absoluteString, "HTTP status \(status.map(String.init) ?? "unknown"), expected 200")
    }
    return data ?? Data()
  }
}

/// Carries a URLSession completion's result back to the waiting thread.
private final class FetchBox: @unchecked Sendable {
  private let lock = NSLock()
  private var data: Data?
  private var status: Int?
  private var error: String?

  func set(data: Data?, status: Int?, error: String?) {
    lock.lock()
    defer { lock.unlock() }
    self.data = data
    self.status = status
    self.error = error
  }

  func get() -> (Data?, Int?, String?) {
    lock.lock()
    defer { lock.unlock() }
    return (data, status, error)
  }
}
