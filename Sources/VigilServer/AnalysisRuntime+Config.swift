import Foundation
import Logging
import VigilCore
import VigilPAT

extension AnalysisRuntime {
    /// Loads the PAT model and cohort statistics the configuration names. A file that is missing, truncated
    /// or not a PAT model stops the server at start with a message naming the variable.
    public static func load(_ settings: VigilConfig.AnalysisSettings, logger: Logger) throws -> AnalysisRuntime {
        var runtime = AnalysisRuntime()
        if let path = settings.patModelPath {
            do {
                let model = try PATModel.load(contentsOf: URL(fileURLWithPath: path))
                runtime.model = PATEmbedder(model: model)
                logger.info("PAT model loaded", metadata: ["variant": .string(model.variant.rawValue), "path": .string(path)])
            } catch {
                throw VigilConfig.Invalid(description: "VIGIL_PAT_MODEL (\(path)): \(error.description)")
            }
        }
        if let path = settings.patCohortPath {
            do {
                let statistics = try PATCohortStatistics.load(contentsOf: URL(fileURLWithPath: path))
                runtime.cohort = (statistics.mean, statistics.std)
            } catch {
                throw VigilConfig.Invalid(description: "VIGIL_PAT_COHORT (\(path)): \(error.description)")
            }
        }
        return runtime
    }
}
