/// The speaker-independent split of the spoken-digits set used to train and check the audio
/// classifier: a classifier that is scored on voices it trained on would overstate how well it
/// hears a new speaker (or a generator's output), so one voice per accent is kept out.
///
/// File names are `wav/<digit>_<voice>_<take>.wav` (`../shared/data/README.md`, section 3),
/// voices `<accent>-<variant>`, five per accent.
public enum SpokenDigitsSplit {
  /// The fifth voice of each of the six accent groups (`us`, `gb`, `sc`, `cb`, `rp`, `lc`):
  /// 6 voices × 10 digits × 5 takes = 300 clips.
  public static let heldOutVoices: Set<String> = ["us-m5", "gb-f3", "sc-m4", "cb-f2", "rp-m3", "lc-f1"]

  /// The voice in a spoken-digits file name (`"wav/7_sc-m2_3.wav"` → `"sc-m2"`), or `nil` when the
  /// name does not have the `<digit>_<voice>_<take>.wav` form.
  public static func voice(ofFile name: String) -> String? {
    let base = name.split(separator: "/").last.map(String.init) ?? name
    guard base.lowercased().hasSuffix(".wav") else { return nil }
    let parts = base.dropLast(4).split(separator: "_", omittingEmptySubsequences: false)
    guard parts.count == 3, !parts[1].isEmpty, parts[0].allSatisfy(\.isNumber), parts[2].allSatisfy(\.isNumber) else {
      return nil
    }
    return String(parts[1])
  }
}

extension AudioSet {
  /// The clips whose index passes `keep`, in their order, with the same class names, sample rate
  /// and augmentation (the cleaning report is kept, its `kept` count set to the subset's size).
  public func subset(_ keep: (Int) -> Bool) -> AudioSet {
    let indices = (0..<count).filter(keep)
    var flat = [Float]()
    flat.reserveCapacity(indices.count * length)
    for i in indices { flat += samples[(i * length)..<((i + 1) * length)] }
    var kept = report
    kept.kept = indices.count
    return AudioSet(
      samples: flat, length: length, labels: indices.map { labels[$0] }, classNames: classNames,
      sampleRate: sampleRate, files: indices.map { files[$0] }, report: kept, augmentation: augmentation)
  }

  /// The clips of voices not in `heldOutVoices` (`train`, including clips whose file name names
  /// no voice) and those of the voices in it (`heldOut`).
  public func split(
    heldOutVoices: Set<String> = SpokenDigitsSplit.heldOutVoices
  ) -> (train: AudioSet, heldOut: AudioSet) {
    let held = files.map { SpokenDigitsSplit.voice(ofFile: $0).map(heldOutVoices.contains) ?? false }
    return (subset { !held[$0] }, subset { held[$0] })
  }
}
