import Foundation
import GenAIData
import GenAINN
import GenAITensor
import GenAITestSupport
import Testing

@testable import GenAIModels

/// Data for the classifier tests: the real sets beside the repository, or `nil` when absent.
enum ClassifierTestData {
  /// The Fashion-MNIST `t10k` (test, `true`) or `train` images in [-1, 1], or `nil` when absent.
  static func fashion(test: Bool) -> ImageSet? {
    guard let dir = SharedData.folder(.fashionMNIST) else { return nil }
    let prefix = test ? "t10k" : "train"
    return try? ImageSet.idx(
      images: dir.appendingPathComponent("\(prefix)-images-idx3-ubyte.gz"),
      labels: dir.appendingPathComponent("\(prefix)-labels-idx1-ubyte.gz"), range: .minusOneToOne)
  }

  /// The 10,000 test images, loaded once.
  static let fashionTest: ImageSet? = fashion(test: true)
  /// All 1,500 spoken digits, loaded once.
  static let digits: AudioSet? = SharedData.folder(.spokenDigits).flatMap { try? AudioSet.spokenDigits($0) }

  /// `count` images: the first real test images, or seeded noise labelled `i % 10` without data.
  static func images(_ count: Int) -> Batch {
    var g = SeededGenerator(seed: 3)
    if let set = fashionTest { return set.makeBatch(indices: Array(0..<count), generator: &g) }
    return Batch(
      inputs: Tensor.uniform([count, 1, 28, 28], low: -1, high: 1, using: &g),
      labels: IndexTensor((0..<count).map { $0 % 10 }))
  }
}

@Suite struct ClassifierTests {
  @Test func imageShapesNamesAndErrors() throws {
    let c = ImageClassifier(classCount: 10, seed: 1)
    #expect(ImageClassifier.name == "classifier" && c.featureSize == 128 && c.classCount == 10)
    #expect(c.models.keys.sorted() == ["classifier"] && c.optimizers.keys.sorted() == ["adam"])
    #expect(c.network.namedRandomSources().map(\.0) == ["drop.randomSource"])
    let (f, l) = try c.featuresAndLogits(ClassifierTestData.images(3).inputs)
    #expect(f.shape == [3, 128] && l.shape == [3, 10])
    #expect(c.network.isTraining)  // mode restored
    #expect(throws: RecipeError(recipe: "classifier", "expected images [N, 1, 28, 28], got [2, 28, 28]")) {
      try c.featuresAndLogits(Tensor.zeros([2, 28, 28]))
    }
    #expect(throws: RecipeError.self) { try c.featuresAndLogits(Tensor.zeros([2, 3, 28, 28])) }
    #expect(throws: RecipeError(recipe: "classifier", "training needs labelled batches")) {
      try c.trainStep(Batch(inputs: Tensor.zeros([2, 1, 28, 28])))
    }
    #expect(throws: RecipeError(recipe: "classifier", "label 10 is out of range 0..<10")) {
      try c.trainStep(Batch(inputs: Tensor.zeros([2, 1, 28, 28]), labels: IndexTensor([0, 10])))
    }
  }

  @Test func audioShapesNamesAndErrors() throws {
    let c = AudioClassifier(seed: 1)
    #expect(AudioClassifier.name == "classifier" && c.featureSize == 128 && c.classCount == 10)
    #expect(c.network.namedRandomSources().map(\.0).sorted() == ["augmentation", "drop.randomSource"])
    let clips = AudioTestData.tones(2, seed: 2).inputs
    let (f, l) = try c.featuresAndLogits(clips)
    let (f2, l2) = try c.featuresAndLogits(clips.reshaped([2, 8000]))
    #expect(f.shape == [2, 128] && l.shape == [2, 10])
    #expect(f.scalars == f2.scalars && l.scalars == l2.scalars)
    #expect(throws: RecipeError(recipe: "classifier", "expected clips [N, 1, 8000] or [N, 8000] at 8 kHz, got [2, 1, 4000]")) {
      try c.featuresAndLogits(Tensor.zeros([2, 1, 4000]))
    }
    #expect(throws: RecipeError.self) { try c.trainStep(Batch(inputs: clips)) }
    // Augmentation keeps the shape and the range, and changes the clips.
    let a = c.augmented(clips)
    #expect(a.shape == clips.shape && a.scalars.allSatisfy { $0 >= -1 && $0 <= 1 } && a.scalars != clips.scalars)
  }

  /// Inputs beyond one chunk of 256 give what the pieces give on their own, and features do not
  /// depend on what else is in the batch (evaluation mode).
  @Test func chunkedEvaluationMatchesPieces() throws {
    let c = ImageClassifier(classCount: 10, seed: 4)
    let x = ClassifierTestData.images(300).inputs
    let (f, l) = try c.featuresAndLogits(x)
    #expect(f.shape == [300, 128] && l.shape == [300, 10])
    let head = try c.featuresAndLogits(x.slice(axis: 0, 0..<100))
    let tail = try c.featuresAndLogits(x.slice(axis: 0, 100..<300))
    let maxDiff = zip(f.scalars, head.features.scalars + tail.features.scalars).map { Swift.abs($0 - $1) }.max()!
    #expect(maxDiff <= 1e-5, "max difference \(maxDiff)")
    let predicted = try c.predictions(x)
    #expect(l.argmax(axis: 1).values == predicted)
  }

  @Test func imageTrainingLossFalls() throws {
    let c = ImageClassifier(classCount: 10, seed: 5, learningRate: 3e-3)
    let batch = ClassifierTestData.images(32)
    var losses: [Float] = []
    for _ in 0..<8 { losses.append(try c.trainStep(batch)["loss"]!) }
    #expect(losses.allSatisfy { $0.isFinite })
    #expect(losses.last! < 0.7 * losses.first!, "loss \(losses.first!) → \(losses.last!)")
  }

  @Test func audioTrainingLossFalls() throws {
    let c = AudioClassifier(seed: 6, learningRate: 3e-3)
    let batch = AudioTestData.batches(1, size: 10)[0]
    var losses: [Float] = []
    for _ in 0..<8 { losses.append(try c.trainStep(batch)["loss"]!) }
    #expect(losses.allSatisfy { $0.isFinite })
    #expect(losses.last! < 0.7 * losses.first!, "loss \(losses.first!) → \(losses.last!)")
  }

  @Test func heldOutVoicesOfFileNames() throws {
    #expect(SpokenDigitsSplit.voice(ofFile: "wav/7_sc-m2_3.wav") == "sc-m2")
    #expect(SpokenDigitsSplit.voice(ofFile: "0_us-m1_0.WAV") == "us-m1")
    #expect(SpokenDigitsSplit.voice(ofFile: "clip 3") == nil && SpokenDigitsSplit.voice(ofFile: "wav/a_b.wav") == nil)
    #expect(SpokenDigitsSplit.heldOutVoices.count == 6)
  }

  @Test(.requiresSharedData(.spokenDigits))
  func heldOutVoicesSplit() throws {
    let all = try #require(ClassifierTestData.digits)
    let (train, held) = all.split()
    #expect(held.count == 300 && train.count == all.count - 300)
    let heldVoices = Set(held.files.compactMap(SpokenDigitsSplit.voice(ofFile:)))
    let trainVoices = Set(train.files.compactMap(SpokenDigitsSplit.voice(ofFile:)))
    #expect(heldVoices == SpokenDigitsSplit.heldOutVoices && trainVoices.count == 24 && heldVoices.isDisjoint(with: trainVoices))
    #expect(held.classNames == all.classNames && held.report.kept == 300)
    #expect((0..<10).allSatisfy { d in held.labels.filter { $0 == d }.count == 30 })
    // The subset holds the same samples as the clips it names.
    let i = all.files.firstIndex(of: held.files[7])!
    #expect(held.clip(7) == all.clip(i) && held.labels[7] == all.labels[i])
  }

  /// Two steps, a checkpoint, and a differently seeded classifier restored from it: the same
  /// logits, and the next step (dropout masks, augmentation draws, Adam state) is bit-identical.
  @Test func checkpointRoundTripIsExact() throws {
    let batches = AudioTestData.batches(3, size: 4)
    let a = AudioClassifier(seed: 7)
    _ = try a.trainStep(batches[0])
    _ = try a.trainStep(batches[1])
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "classifier-\(UInt32.random(in: 0...UInt32.max)).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try TrainingCheckpoint.save(to: url, models: a.models, optimizers: a.optimizers, step: 2)
    let b = AudioClassifier(seed: 99)
    _ = try TrainingCheckpoint.load(from: url, into: b.models, optimizers: b.optimizers)
    let (logitsA, logitsB) = (try a.featuresAndLogits(batches[2].inputs).logits, try b.featuresAndLogits(batches[2].inputs).logits)
    #expect(logitsA.scalars == logitsB.scalars)
    let (stepA, stepB) = (try a.trainStep(batches[2]), try b.trainStep(batches[2]))
    #expect(stepA == stepB)

    // The image classifier with a decaying rate: the restored Adam step count picks the same rate.
    let image = ImageClassifier(classCount: 10, seed: 8, totalSteps: 4)
    let batch = ClassifierTestData.images(8)
    _ = try image.trainStep(batch)
    try TrainingCheckpoint.save(to: url, models: image.models, optimizers: image.optimizers, step: 1)
    let restored = ImageClassifier(classCount: 10, seed: 98, totalSteps: 4)
    _ = try TrainingCheckpoint.load(from: url, into: restored.models, optimizers: restored.optimizers)
    let (before, after) = (try image.featuresAndLogits(batch.inputs).logits, try restored.featuresAndLogits(batch.inputs).logits)
    #expect(before.scalars == after.scalars)
    let (next, nextRestored) = (try image.trainStep(batch), try restored.trainStep(batch))
    #expect(next == nextRestored)
    #expect(image.optimizer.learningRate == restored.optimizer.learningRate && image.optimizer.learningRate < 1e-3)
  }
}

/// Full training runs for a release build, off unless `GENAI_LONG` is set:
/// `GENAI_LONG=1 swift test -c release --filter ClassifierLongRun`. Trains each classifier with
/// its default steps, batch size and learning rate (the image classifier's decaying over those
/// steps), and prints its test accuracy and time.
@Suite struct ClassifierLongRun {
  @Test(.longRun(filter: "ClassifierLongRun"), .requiresSharedData(.fashionMNIST))
  func imageClassifierReachesNinetyPercent() throws {
    let dir = try #require(SharedData.folder(.fashionMNIST))
    let train = try ImageSet.idx(
      images: dir.appendingPathComponent("train-images-idx3-ubyte.gz"),
      labels: dir.appendingPathComponent("train-labels-idx1-ubyte.gz"), range: .minusOneToOne)
    let test = try #require(ClassifierTestData.fashionTest)
    let c = ImageClassifier(classCount: 10, seed: 42, totalSteps: ImageClassifier.defaultSteps)
    let seconds = try Self.train(c, on: train, steps: ImageClassifier.defaultSteps, batchSize: ImageClassifier.defaultBatchSize)
    let accuracy = try c.accuracy(on: test)
    print("image classifier: Fashion-MNIST test accuracy \(accuracy) after \(ImageClassifier.defaultSteps) steps in \(Int(seconds)) s")
    #expect(accuracy >= 0.90)
  }

  @Test(.longRun(filter: "ClassifierLongRun"), .requiresSharedData(.spokenDigits))
  func audioClassifierReachesNinetyFivePercentOnNewVoices() throws {
    let (train, held) = try #require(ClassifierTestData.digits).split()
    let c = AudioClassifier(seed: 42)
    let seconds = try Self.train(c, on: train, steps: AudioClassifier.defaultSteps, batchSize: AudioClassifier.defaultBatchSize)
    let accuracy = try c.accuracy(on: held)
    print("audio classifier: held-out-voice accuracy \(accuracy) after \(AudioClassifier.defaultSteps) steps in \(Int(seconds)) s")
    #expect(accuracy >= 0.95)
  }

  /// Trains `classifier` for `steps` shuffled batches of `source`; returns the seconds taken.
  static func train(_ classifier: some FeatureClassifier, on source: some BatchSource, steps: Int, batchSize: Int) throws -> Double {
    let loader = try BatchLoader(source, batchSize: batchSize, seed: 7)
    let start = Date()
    for step in 1...steps {
      guard let batch = loader.next() else { break }
      let r = try classifier.trainStep(batch)
      if step % 100 == 0 { print("step \(step) \(r) \(Int(Date().timeIntervalSince(start))) s") }
    }
    return Date().timeIntervalSince(start)
  }
}
