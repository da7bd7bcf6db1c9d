import Testing
@testable import WardenKit

struct ExpositionTests {
    @Test func labelValuesAndHelpAreEscaped() {
        let family = MetricFamily(name: "warden_test", kind: .gauge, help: "Back\\slash and\nnewline.", labels: ["engine"])
        var writer = ExpositionWriter()
        writer.write(family, [.init(["a\"b\\c\nd"], 1.5)])
        #expect(writer.output == """
            # HELP warden_test Back\\\\slash and\\nnewline.
            # TYPE warden_test gauge
            warden_test{engine="a\\"b\\\\c\\nd"} 1.5

            """)
    }

    @Test func valuesUseThePrometheusSpelling() {
        #expect(ExpositionWriter.format(3) == "3")
        #expect(ExpositionWriter.format(-0.25) == "-0.25")
        #expect(ExpositionWriter.format(.nan) == "NaN")
        #expect(ExpositionWriter.format(.infinity) == "+Inf")
        #expect(ExpositionWriter.format(-.infinity) == "-Inf")
        #expect(ExpositionWriter.format(1e20) == "1e+20")
    }

    @Test func familiesWithoutSamplesAreLeftOut() {
        var writer = ExpositionWriter()
        writer.write(Catalog.engineUp, [])
        #expect(writer.output.isEmpty)
    }

    @Test func theCatalogFollowsPrometheusNaming() {
        var names = Set<String>()
        for family in Catalog.all {
            #expect(names.insert(family.name).inserted, "\(family.name) is declared twice")
            #expect(family.name.allSatisfy { $0.isLowercase || $0 == "_" || $0.isNumber })
            #expect((family.kind == .counter) == family.name.hasSuffix("_total"), "\(family.name)")
            #expect(!family.help.isEmpty)
        }
    }

    @Test func constantTimeComparisonAndAuthOutcomes() {
        let auth = AdminAuth(token: "s3cret")
        #expect(auth.check(authorization: "Bearer s3cret") == .allowed)
        #expect(auth.check(authorization: "Bearer s3cre") == .denied)
        #expect(auth.check(authorization: "Bearer s3cret2") == .denied)
        #expect(auth.check(authorization: "Basic s3cret") == .denied)
        #expect(auth.check(authorization: nil) == .denied)
        #expect(AdminAuth(token: nil).check(authorization: "Bearer x") == .disabled)
        // Lengths 256 apart must not look equal, nor a token padded with NUL bytes match.
        #expect(!AdminAuth.constantTimeEqual(Array("a".utf8), Array("a".utf8) + [UInt8](repeating: 0, count: 256)))
        #expect(!AdminAuth.constantTimeEqual([], [0]))
    }
}
