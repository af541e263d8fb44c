import Testing
@testable import GenAITensor

@Test func smoke() throws {
  let x = try Tensor(shape: [2, 2], [1, 2, 3, 4]).requiringGrad()
  let y = (x * x).sum()
  try y.backward()
  #expect(x.grad?.scalars == [2, 4, 6, 8])
}
