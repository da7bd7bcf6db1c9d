import Testing
@testable import WardenKit

/// The problems loading `yaml` (as `warden.yml` in `baseDirectory`) reports, in line order; a config that
/// loads is recorded as a test failure, since the caller expected it to be rejected.
func configIssues(_ yaml: String, baseDirectory: String = "/etc/warden",
                  sourceLocation: SourceLocation = #_sourceLocation) -> [ConfigIssue] {
    do {
        _ = try ConfigLoader(environment: ["PATH": "/usr/bin:/bin"]).parse(yaml, file: "warden.yml", baseDirectory: baseDirectory)
        Issue.record("expected the config to be rejected", sourceLocation: sourceLocation)
        return []
    } catch {
        return error.issues
    }
}
