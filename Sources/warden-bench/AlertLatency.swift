import Foundation
import Hummingbird
import Logging
import Synchronization
import WardenKit

/// Warden's own alert path: from a health transition being recorded (with its alert, in one transaction) to the
/// `sendMessage` request reaching a local Telegram Bot API server, with grouping off. Warden's real store,
/// dispatcher and Telegram notifier; the server answers like Telegram.
func alertLatency(runs: Int) async throws -> String {
    let arrivals = Mutex<[String: Double]>([:])
    let router = Router()
    router.post("/:bot/sendMessage") { request, _ -> Response in
        let body = try await request.body.collect(upTo: 1 << 20)
        let now = Date().timeIntervalSince1970
        let text = String(buffer: body)
        if let range = text.range(of: "bench-run-"), let end = text[range.upperBound...].firstIndex(where: { !$0.isNumber }) {
            let key = String(text[range.lowerBound..<end])
            arrivals.withLock { $0[key] = now }
        }
        return Response(status: .ok, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(string: #"{"ok":true,"result":{"message_id":1}}"#)))
    }
    let ready = AsyncStream<Int>.makeStream()
    let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                          onServerRunning: { ready.continuation.yield($0.localAddress?.port ?? 0) },
                          logger: { var logger = Logger(label: "bench"); logger.logLevel = .warning; return logger }())
    let server = Task { try await app.runService() }
    defer { server.cancel() }
    var iterator = ready.stream.makeAsyncIterator()
    let port = await iterator.next() ?? 0

    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("warden-bench-alerts-\(getpid())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    let store = try WardenStore(path: directory + "/warden.sqlite", logger: logger)
    let channel = AlertChannel(name: "tg", minLevel: .degraded,
                               notifier: TelegramNotifier(apiURL: URL(string: "http://127.0.0.1:\(port)")!, token: "1:bench",
                                                          chatID: "1", threadID: nil, timeout: .seconds(5),
                                                          minimumInterval: .zero))
    let dispatcher = AlertDispatcher(channels: [channel], store: store, settings: .init(groupWindow: .zero, maxAge: .seconds(3600)),
                                     stats: AlertStats(channels: ["tg"]), logger: logger)
    let running = Task { await dispatcher.run() }
    defer { running.cancel() }
    let alertRouter = AlertRouter(channels: [("tg", .degraded)])

    var latencies: [Double] = []
    for run in 0..<runs {
        let key = "bench-run-\(run)"
        let started = Date().timeIntervalSince1970
        let transition = HealthTransition(component: .positions, from: .healthy, to: .unhealthy, at: started,
                                          finding: Finding(check: .monitorMismatch, level: .unhealthy, value: 6, threshold: 1,
                                                           message: "\(key) monitor mismatch 6"))
        let event = AlertEvent(kind: .transition, engine: "bench", component: "positions", from: .healthy, level: .unhealthy,
                               reason: transition.reason, at: started)
        await store.record(engine: "bench", transitions: [transition], alerts: alertRouter.route([event]))
        let deadline = Date().timeIntervalSince1970 + 10
        while arrivals.withLock({ $0[key] }) == nil && Date().timeIntervalSince1970 < deadline {
            try await Task.sleep(for: .milliseconds(1))
        }
        if let arrived = arrivals.withLock({ $0[key] }) { latencies.append((arrived - started) * 1000) }
        // Events arrive at any moment, not right after the previous delivery: let the dispatcher go idle.
        try await Task.sleep(for: .milliseconds(Int.random(in: 30...80)))
    }
    guard !latencies.isEmpty else { return "| transition → Telegram request | no delivery | | | |" }
    return String(format: "| transition → Telegram request (grouping off) | %.1f ms | %.1f ms | %.1f–%.1f ms | %d of %d |",
                  percentile(latencies, 50), percentile(latencies, 95), latencies.min()!, latencies.max()!,
                  latencies.count, runs)
}
