import Foundation
import GenAI
import GenAITestSupport
import Hummingbird
import Testing

@testable import GenAIServer

/// The studio in a real browser: the page lists the runs, draws a grid, streams text, saves
/// ratings and runs a training job, with nothing on the console. Skipped without Chromium,
/// failed when CI is set (`.ci/run` installs it).
@Suite("Studio in a browser", .serialized)
struct StudioBrowserTests {
  @Test(.enabled(if: DevToolsBrowser.find() != nil || TestEnvironment.isCI, "needs chromium on PATH"))
  func generateRateAndTrainFromThePage() async throws {
    let executable = try #require(DevToolsBrowser.find(), "chromium is required when CI is set: apt-get install chromium")
    let runs = StudioFixture.runs
    try await serving(Studio.router(StudioOptions(runs: runs, token: StudioFixture.token), jobs: StudioFixture.jobs)) { port in
      let profile = try TemporaryFolder.make("studio-browser")
      defer { try? FileManager.default.removeItem(at: profile) }
      let browser = try DevToolsBrowser(executable: executable, profile: profile)
      defer { browser.close() }
      try browser.open("http://127.0.0.1:\(port)/?run=dcgan")
      try browser.waitFor("document.querySelectorAll('tr.run').length >= 2 && document.querySelector('#generate')")

      // A grid: shown, numbered as a batch, then rated.
      try browser.evaluate("document.querySelector('#count').value = 9; document.querySelector('#generate').click()")
      try browser.waitFor("(() => { const i = document.querySelector('#grid img'); return i && i.complete && i.naturalWidth > 0 })()")
      // The batch this grid is (other tests add batches to the same run meanwhile).
      let batch = try #require(try browser.evaluate("Number(document.querySelector('#made').dataset.batch)") as? Int)
      #expect(try browser.evaluate("Number(document.querySelector('#batch').value)") as? Int == batch)
      try browser.evaluate("document.querySelector('#like').value = '2,5'; document.querySelector('#rate').click()")
      try browser.waitFor("document.querySelector('#rated').textContent.includes('saved')")
      let ratings = Ratings(run: RunDirectory(url: runs.appending(path: "dcgan"))).entries().filter { $0.batch == batch }
      #expect(ratings.map(\.sample) == [2, 5] && ratings.allSatisfy { $0.rating == .like })

      // Text, streamed into the page.
      try browser.evaluate("document.querySelector('tr.run[data-id=\"gpt\"]').click()")
      try browser.waitFor("document.querySelector('#prime')")
      try browser.evaluate("document.querySelector('#prime').value = 'ROMEO'; document.querySelector('#length').value = 60; document.querySelector('#generate').click()")
      try browser.waitFor("document.querySelector('#text').textContent.length >= 65")

      // A training job, started and followed from the page.
      try browser.evaluate("""
        document.querySelector('#newrecipe').value = 'dcgan'; document.querySelector('#newdata').value = 'shapes';
        document.querySelector('#newsteps').value = 4; document.querySelector('#newbatch').value = 2;
        document.querySelector('#newname').value = 'browser-job'; document.querySelector('#train').click()
        """)
      try browser.waitFor("document.querySelector('#jobrows').textContent.includes('browser-job') && document.querySelector('#jobrows').textContent.includes('finished')", timeout: 300)
      try browser.waitFor("document.querySelector('#runrows').textContent.includes('browser-job')", timeout: 60)
      try browser.evaluate("document.querySelector('tr.run[data-id=\"browser-job\"]').click()")
      try browser.waitFor("document.querySelectorAll('#curve polyline').length >= 2")  // d_loss and g_loss

      let shot = profile.appending(path: "studio.png")
      try browser.screenshot().write(to: shot)
      let bitmap = try PNGDecoder.read(shot).bitmap
      let grey = stride(from: 0, to: bitmap.pixels.count, by: bitmap.channels).map { Double(bitmap.pixels[$0]) }
      let mean = grey.reduce(0, +) / Double(grey.count)
      let variance = grey.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(grey.count)
      #expect(bitmap.width > 600 && variance > 50, "blank screenshot? variance \(variance)")
      #expect(browser.problems.isEmpty, "\(browser.problems)")
      // The check is not blind: a console error is caught.
      try browser.evaluate("console.error('control message')")
      try browser.evaluate("1")
      #expect(browser.problems.contains { $0.contains("control message") }, "\(browser.problems)")
    }
  }
}
