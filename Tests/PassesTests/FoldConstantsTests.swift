import IR
import Passes
import Testing

/// fold-constants, TVM style: a Before graph and the Expected graph after the pass and `dce`.
@Suite struct FoldConstantsTests {
  func folded(_ before: String) throws -> String {
    let graph = try Parser.parseAndVerify(before)
    return Printer.print(try PassManager(passes: [foldConstants, deadCodeElimination]).run(graph).graph)
  }

  func expectRewrite(_ before: String, _ expected: String) throws {
    let expectedGraph = Printer.print(try Parser.parseAndVerify(expected))
    let actual = try folded(before)
    #expect(actual == expectedGraph)
  }

  @Test func staticDimSizeBecomesItsNumberAndFoldsOnward() throws {
    try expectRewrite(
      """
      graph @g {
        input %x: f32[B, 6]
        %n = dim_size(%x) {axis = 1} : i64[]
        %two = constant() {dtype = i64, shape = [], value = 2.0} : i64[]
        %h = floor_div(%n, %two) : i64[]
        %f = cast(%h) {to = f32} : f32[]
        %y = mul(%x, %f) : f32[B, 6]
        output y = %y
      }
      """,
      """
      graph @g {
        input %x: f32[B, 6]
        %f = constant() {dtype = f32, shape = [], value = 3.0} : f32[]
        %y = mul(%x, %f) : f32[B, 6]
        output y = %y
      }
      """)
  }

  @Test func symbolicDimSizeStays() throws {
    let before = """
      graph @g {
        input %x: f32[B, S]
        %n = dim_size(%x) {axis = 1} : i64[]
        %one = constant() {dtype = i64, shape = [], value = 1.0} : i64[]
        %m = add(%n, %one) : i64[]
        output m = %m
      }
      """
    try expectRewrite(before, before)
  }

  @Test func integerChainsMergeConstantsAndCancel() throws {
    // n + 3 - 3 is n; 2·(n + 1) - 2 is 2·n; (n - 4) / 2 / 2 is n / 4 - 1.
    try expectRewrite(
      """
      graph @g {
        input %x: f32[S]
        %n = dim_size(%x) {axis = 0} : i64[]
        %three = constant() {dtype = i64, shape = [], value = 3.0} : i64[]
        %two = constant() {dtype = i64, shape = [], value = 2.0} : i64[]
        %one = constant() {dtype = i64, shape = [], value = 1.0} : i64[]
        %four = constant() {dtype = i64, shape = [], value = 4.0} : i64[]
        %a = add(%n, %three) : i64[]
        %b = sub(%a, %three) : i64[]
        %c = add(%n, %one) : i64[]
        %d = mul(%two, %c) : i64[]
        %e = sub(%d, %two) : i64[]
        %f = sub(%n, %four) : i64[]
        %g = floor_div(%f, %two) : i64[]
        %h = floor_div(%g, %two) : i64[]
        output b = %b
        output e = %e
        output h = %h
      }
      """,
      """
      graph @g {
        input %x: f32[S]
        %n = dim_size(%x) {axis = 0} : i64[]
        %0 = constant() {dtype = i64, shape = [], value = 2.0} : i64[]
        %e = mul(%n, %0) : i64[]
        %1 = constant() {dtype = i64, shape = [], value = 4.0} : i64[]
        %2 = floor_div(%n, %1) : i64[]
        %3 = constant() {dtype = i64, shape = [], value = 1.0} : i64[]
        %h = sub(%2, %3) : i64[]
        output b = %n
        output e = %e
        output h = %h
      }
      """)
  }

  @Test func chainsKeepTheirTypeAndStopAtOtherShapes() throws {
    // The chain on i64[B] is shortened; the broadcast to [B] is an atom, so the scalar part
    // before it and the chain after it are handled separately and types stay exact.
    try expectRewrite(
      """
      graph @g {
        input %x: f32[B, S]
        %n = dim_size(%x) {axis = 1} : i64[]
        %one = constant() {dtype = i64, shape = [], value = 1.0} : i64[]
        %m = add(%n, %one) : i64[]
        %v = broadcast_to(%m) {shape = [B]} : i64[B]
        %w = add(%v, %one) : i64[B]
        %z = add(%w, %one) : i64[B]
        output z = %z
      }
      """,
      """
      graph @g {
        input %x: f32[B, S]
        %n = dim_size(%x) {axis = 1} : i64[]
        %one = constant() {dtype = i64, shape = [], value = 1.0} : i64[]
        %m = add(%n, %one) : i64[]
        %v = broadcast_to(%m) {shape = [B]} : i64[B]
        %0 = constant() {dtype = i64, shape = [], value = 2.0} : i64[]
        %z = add(%v, %0) : i64[B]
        output z = %z
      }
      """)
  }

  @Test func truncatingDivisionAndOtherDtypesAreNotChained() throws {
    // `div` truncates towards zero and i32 may overflow: neither is put in affine form.
    let before = """
      graph @g {
        input %x: f32[S]
        input %k: i32[]
        %n = dim_size(%x) {axis = 0} : i64[]
        %two = constant() {dtype = i64, shape = [], value = 2.0} : i64[]
        %a = div(%n, %two) : i64[]
        %b = div(%a, %two) : i64[]
        %one = constant() {dtype = i32, shape = [], value = 1.0} : i32[]
        %c = add(%k, %one) : i32[]
        %d = add(%c, %one) : i32[]
        output b = %b
        output d = %d
      }
      """
    try expectRewrite(before, before)
  }

  @Test func regionsAreOpaque() throws {
    let before = """
      graph @g {
        input %x: f32[4]
        %f = fused(%x) {kind = "generic"} : f32[4] {
          ^(%a: f32[4]):
            %c = constant() {dtype = f32, shape = [], value = 2.0} : f32[]
            %d = mul(%c, %c) : f32[]
            %e = mul(%a, %d) : f32[4]
            yield %e
        }
        output y = %f
      }
      """
    try expectRewrite(before, before)
  }

  @Test func foldingIsAFixedPointAfterOneRun() throws {
    let graph = try Parser.parseAndVerify(
      """
      graph @g {
        input %x: f32[B, S]
        %n = dim_size(%x) {axis = 1} : i64[]
        %k = constant() {dtype = i64, shape = [], value = 10.0} : i64[]
        %s = constant() {dtype = i64, shape = [], value = 5.0} : i64[]
        %one = constant() {dtype = i64, shape = [], value = 1.0} : i64[]
        %a = sub(%n, %k) : i64[]
        %b = floor_div(%a, %s) : i64[]
        %c = add(%b, %one) : i64[]
        %d = sub(%c, %k) : i64[]
        %e = floor_div(%d, %s) : i64[]
        %f = add(%e, %one) : i64[]
        output f = %f
      }
      """)
    let manager = PassManager(passes: [foldConstants, deadCodeElimination])
    let once = try manager.run(graph).graph
    #expect(try manager.run(once).graph == once)
    #expect(once.nodes.filter { $0.op != .constant }.count == 4)
  }
}
