import Testing

@testable import VigilPAT

@Suite("MatrixMultiply against a naive product")
struct MatrixMultiplyTests {
    /// Shapes hit the 4×16 tile, the single-row tail and the scalar column tail, with strides > width.
    @Test("strided products with bias and accumulation", arguments: [(1, 1, 1), (4, 16, 3), (7, 37, 5), (33, 96, 96), (6, 17, 200)])
    func matchesNaive(m: Int, n: Int, k: Int) {
        let lda = k + 3
        let ldb = n + 5
        let ldc = n + 2
        let a = (0..<(m * lda)).map { Float(($0 * 7919) % 13) / 13 - 0.5 }
        let b = (0..<(k * ldb)).map { Float(($0 * 104_729) % 17) / 17 - 0.5 }
        let bias = (0..<n).map { Float($0) / 10 }
        let initial = (0..<(m * ldc)).map { Float($0 % 5) }
        for accumulate in [false, true] {
            var c = initial
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    bias.withUnsafeBufferPointer { pbias in
                        c.withUnsafeMutableBufferPointer { pc in
                            MatrixMultiply.multiply(
                                m: m, n: n, k: k, a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb,
                                c: pc.baseAddress!, ldc: ldc, bias: pbias.baseAddress!, accumulate: accumulate)
                        }
                    }
                }
            }
            var worst: Float = 0
            for i in 0..<m {
                for j in 0..<n {
                    var sum: Float = 0
                    for p in 0..<k { sum += a[i * lda + p] * b[p * ldb + j] }
                    let expected = sum + bias[j] + (accumulate ? initial[i * ldc + j] : 0)
                    worst = max(worst, abs(c[i * ldc + j] - expected))
                }
                for j in n..<ldc { #expect(c[i * ldc + j] == initial[i * ldc + j], "padding column \(j) was written") }
            }
            #expect(worst <= 1e-4)
        }
    }
}
