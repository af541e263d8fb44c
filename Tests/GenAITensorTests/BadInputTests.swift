import Testing

@testable import GenAITensor

/// Bad input: shape inference throws a `ShapeError` naming the op and the shapes; ops that cannot
/// throw stop with a precondition failure whose message does the same (checked in exit tests).

@Suite struct BadInputShapeErrorTests {
  @Test func broadcastMismatchNamesBothShapes() throws {
    let error = #expect(throws: ShapeError.self) { try broadcastShapes([2, 3], [4, 3]) }
    #expect(error?.op == "broadcast")
    let text = error?.description ?? ""
    #expect(text.hasPrefix("[broadcast] "))
    #expect(text.contains("[2, 3]") && text.contains("[4, 3]"))
    #expect(text.contains("axis -2") && text.contains("2 and 4"))

    // The caller's op name is used.
    let e2 = #expect(throws: ShapeError.self) { try broadcastShapes([5], [3, 4], op: "add") }
    #expect(e2?.description.hasPrefix("[add]") == true)
    #expect(e2?.message.contains("[5]") == true && e2?.message.contains("[3, 4]") == true)
  }

  @Test func broadcastingThatWorks() throws {
    #expect(try broadcastShapes([2, 3], [3]) == [2, 3])
    #expect(try broadcastShapes([4, 1, 3], [5, 1]) == [4, 5, 3])
    #expect(try broadcastShapes([], [2, 2]) == [2, 2])
    #expect(try broadcastShapes([1], [0]) == [0])
    #expect(try broadcastShapes([3, 1], [1, 3]) == [3, 3])
  }

  @Test func negativeSizeInTensorInit() throws {
    let error = #expect(throws: ShapeError.self) { try Tensor(shape: [2, -1], []) }
    #expect(error?.op == "Tensor.init")
    #expect(error?.message.contains("-1") == true)
    #expect(error?.message.contains("[2, -1]") == true)
  }

  @Test func valueCountMismatchInTensorInit() throws {
    let error = #expect(throws: ShapeError.self) { try Tensor(shape: [2, 3], [1, 2, 3, 4, 5]) }
    #expect(error?.op == "Tensor.init")
    let text = error?.description ?? ""
    #expect(text.hasPrefix("[Tensor.init]"))
    #expect(text.contains("[2, 3]") && text.contains("6") && text.contains("5"))
    // The boundary: a scalar shape needs exactly one value, an empty axis none.
    #expect(throws: ShapeError.self) { try Tensor(shape: [], []) }
    #expect(try Tensor(shape: [], [7]).item == 7)
    #expect(try Tensor(shape: [0, 4], []).count == 0)
  }

  @Test func indexTensorCountMismatchAndNegativeSize() throws {
    let e1 = #expect(throws: ShapeError.self) { try IndexTensor(shape: [2, 2], [0, 1, 2]) }
    #expect(e1?.op == "IndexTensor.init")
    #expect(e1?.message.contains("[2, 2]") == true && e1?.message.contains("got 3") == true)
    let e2 = #expect(throws: ShapeError.self) { try IndexTensor(shape: [-3], []) }
    #expect(e2?.op == "IndexTensor.init" && e2?.message.contains("-3") == true)
    #expect((try? IndexTensor(shape: [2, 1], [4, 5]))?.values == [4, 5])
  }

  @Test func reshapeMismatch() throws {
    let x = Tensor.zeros([2, 3])
    let e1 = #expect(throws: ShapeError.self) { try x.resolveReshape([4, 2]) }
    #expect(e1?.op == "reshape")
    #expect(e1?.message.contains("[2, 3]") == true && e1?.message.contains("[4, 2]") == true)
    #expect(e1?.message.contains("6 elements") == true)
    // Two unknowns, other negative sizes, and an unknown that does not divide.
    let e2 = #expect(throws: ShapeError.self) { try x.resolveReshape([-1, -1]) }
    #expect(e2?.message.contains("[-1, -1]") == true)
    #expect(throws: ShapeError.self) { try x.resolveReshape([-2, -3]) }
    let e3 = #expect(throws: ShapeError.self) { try x.resolveReshape([-1, 4]) }
    #expect(e3?.message.contains("[-1, 4]") == true)
    #expect(throws: ShapeError.self) { try x.resolveReshape([0, -1]) }
    // And what works.
    #expect(try x.resolveReshape([-1]) == [6])
    #expect(try x.resolveReshape([3, -1]) == [3, 2])
    #expect(try x.resolveReshape([1, -1, 1]) == [1, 6, 1])
    #expect(try Tensor.zeros([0, 3]).resolveReshape([-1, 3]) == [0, 3])
  }

  @Test func axisAndShapeValidation() throws {
    let e = #expect(throws: ShapeError.self) { try normalizedAxis(2, rank: 2, op: "sum") }
    #expect(e?.description == "[sum] axis 2 is out of range for a tensor of rank 2")
    #expect(throws: ShapeError.self) { try normalizedAxis(-3, rank: 2, op: "sum") }
    #expect(try normalizedAxis(-1, rank: 2, op: "sum") == 1)
    #expect(try normalizedAxis(-2, rank: 2, op: "sum") == 0)
    let v = #expect(throws: ShapeError.self) { try validateShape([3, -4, 2], op: "zeros") }
    #expect(v?.description == "[zeros] negative size -4 in shape [3, -4, 2]")
  }

  @Test func shapeErrorIsEquatableAndDescribes() {
    let a = ShapeError(op: "matmul", "inner dimensions differ")
    #expect(a == ShapeError(op: "matmul", "inner dimensions differ"))
    #expect(a != ShapeError(op: "conv2d", "inner dimensions differ"))
    #expect(a.description == "[matmul] inner dimensions differ")
  }
}

// MARK: - Precondition failures (exit tests)

/// Exit tests run the closure in a child process and capture its standard error. The engine
/// stops through `require`/`fatalError`, whose messages survive optimised builds, so the text is
/// checked in every configuration.
@Suite struct BadInputPreconditionExitTests {
  static func stderr(_ result: ExitTest.Result?) -> String {
    String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
  }

  static func expectMessage(
    _ result: ExitTest.Result?, contains parts: [String], sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let text = stderr(result)
    for part in parts {
      #expect(text.contains(part), "stderr lacks \"\(part)\": \(text)", sourceLocation: sourceLocation)
    }
  }

  @Test func matmulInnerDimensionMismatch() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let a = Tensor.zeros([2, 3])
      let b = Tensor.zeros([4, 5])
      _ = a.matmul(b)
    }
    Self.expectMessage(result, contains: ["[matmul]", "[2, 3]", "[4, 5]", "3 vs 4"])
  }

  @Test func conv2dWrongRank() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let x = Tensor.zeros([3, 8, 8])
      let w = Tensor.zeros([4, 3, 3, 3])
      _ = x.conv2d(w)
    }
    Self.expectMessage(result, contains: ["[conv2d]", "[3, 8, 8]", "[4, 3, 3, 3]"])
  }

  @Test func indexSelectOutOfRange() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let table = Tensor.zeros([5, 2])
      _ = table.indexSelect(IndexTensor([1, 5]))
    }
    Self.expectMessage(result, contains: ["[indexSelect]", "index 5", "0..<5", "[5, 2]"])
  }

  @Test func softmaxCrossEntropyTargetOutOfRange() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let logits = Tensor.zeros([2, 3])
      _ = logits.softmaxCrossEntropy(targets: IndexTensor([0, 3]))
    }
    Self.expectMessage(result, contains: ["[softmaxCrossEntropy]", "target 3", "0..<3"])
  }

  @Test func softmaxCrossEntropyTargetShapeMismatch() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let logits = Tensor.zeros([2, 3])
      _ = logits.softmaxCrossEntropy(targets: IndexTensor([0, 1, 2]))
    }
    Self.expectMessage(result, contains: ["[softmaxCrossEntropy]", "[3]", "[2, 3]"])
  }

  @Test func elementwiseBroadcastMismatch() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2, 3]) + Tensor.zeros([4, 3])
    }
    Self.expectMessage(result, contains: ["[add]", "[2, 3]", "[4, 3]"])
  }

  @Test func reshapeMismatch() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2, 3]).reshaped([4, 2])
    }
    Self.expectMessage(result, contains: ["[reshape]", "[2, 3]", "[4, 2]"])
  }

  @Test func negativeSizeInFull() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2, -2])
    }
    Self.expectMessage(result, contains: ["[full]", "[2, -2]"])
  }
}
