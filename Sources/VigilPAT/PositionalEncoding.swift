import Foundation

/// PAT's fixed sinusoidal positional encoding, reproduced the way TensorFlow computes it in float32.
///
/// `PE[p, i] = sin(p·w_i)` and `PE[p, 48 + i] = cos(p·w_i)` for i in 0..<48 (halves concatenated, not
/// interleaved). TensorFlow rounds each `w_i` to float32 and forms `p·w_i` as a float32 product; doing the
/// same here (and only then evaluating sin/cos in Double) matches TF's table to ≤1 ulp, whereas a pure
/// Double evaluation drifts by up to ~8e-5 at p = 1119.
enum PositionalEncoding {
    /// Bit patterns of TF's float32 `exp(2i · (−ln 10000 / 96))`, i = 0…47 (from the reference
    /// `positional_encoding_div_term.json`); hard-coded because a libm `expf` may round differently.
    static let divTermBits: [UInt32] = [
        0x3f80_0000, 0x3f53_4db1, 0x3f2e_6929, 0x3f0f_f59a, 0x3eed_a63c, 0x3ec4_2822,
        0x3ea1_e89b, 0x3e85_a3db, 0x3e5c_9d37, 0x3e36_1887, 0x3e16_4d7b, 0x3df8_1ef1,
        0x3dcc_cccd, 0x3da9_0af3, 0x3d8b_8755, 0x3d66_55c4, 0x3d3e_1e97, 0x3d1c_ece8,
        0x3d01_86e2, 0x3cd5_d2f9, 0x3cb0_7dc7, 0x3c91_ad3a, 0x3c70_7bf7, 0x3c46_7f27,
        0x3c23_d70a, 0x3c07_3bf5, 0x3bdf_3eea, 0x3bb8_44a0, 0x3b98_187b, 0x3b7b_14aa,
        0x3b4f_3e3a, 0x3b2b_0f2d, 0x3b0d_316b, 0x3ae9_1529, 0x3ac0_632c, 0x3a9e_cc1f,
        0x3a83_126e, 0x3a58_5fee, 0x3a32_98c0, 0x3a13_6a19, 0x39f3_5a5e, 0x39c8_dd54,
        0x39a5_cb61, 0x3988_d8f1, 0x3961_e8ab, 0x393a_7753, 0x3919_e8ef, 0x38fe_1364,
    ]

    /// The (numPatches × 96) table, row-major.
    static func table(numPatches: Int, embedDim: Int = 96) -> [Float] {
        let half = embedDim / 2
        precondition(half == divTermBits.count, "PAT's positional encoding is defined for 96 dimensions")
        var table = [Float](repeating: 0, count: numPatches * embedDim)
        for p in 0..<numPatches {
            for i in 0..<half {
                let argument = Float(p) * Float(bitPattern: divTermBits[i])
                table[p * embedDim + i] = Float(sin(Double(argument)))
                table[p * embedDim + half + i] = Float(cos(Double(argument)))
            }
        }
        return table
    }
}
