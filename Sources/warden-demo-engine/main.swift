@preconcurrency import Glibc
import Foundation

// stdout is a pipe to the supervisor, which reads it line by line: never sit on a line.
setvbuf(stdout, nil, _IOLBF, 0)
// The stand-in broker and the flood write to sockets the peer may have closed.
signal(SIGPIPE, SIG_IGN)
// Hummingbird logs its own startup at info level on stderr, which the supervisor reads as
// errors; keep it quiet unless the caller asked for a level.
setenv("LOG_LEVEL", "warning", 0)

let config = EngineConfig.fromCommandLine()

let signalSources = Shutdown.installSignalHandlers()

do {
    let faults = FaultBoard()
    let db = try await Schema.open(path: config.databasePath)

    let brokerEndpoint: Endpoint
    if let broker = config.broker {
        brokerEndpoint = broker
    } else {
        let standIn = try BrokerStandIn.start(port: config.brokerStandInPort)
        brokerEndpoint = standIn.endpoint
        Console.info("broker stand-in listening on \(standIn.endpoint) (limit \(BrokerLimit.maxConnections) connections)")
    }

    let engine = Engine(config: config, faults: faults, db: db, broker: BrokerLink(endpoint: brokerEndpoint))
    try await engine.bootstrap()

    let (bound, boundContinuation) = AsyncStream.makeStream(of: Int.self)
    let server = Task {
        do {
            try await StatusServer(engine: engine, faults: faults).run(on: config.listen) { port in
                boundContinuation.yield(port)
            }
        } catch {
            Console.error("FATAL: status server on \(config.listen) failed: \(error)")
            exit(1)
        }
    }
    for await port in bound {
        Console.info("listening on http://\(Endpoint(host: config.listen.host, port: port))")
        break
    }
    Console.info("engine started (seed \(config.seed), tick \(config.tick)s, decisions every \(config.decisionInterval)s)")
    await engine.start()
    await engine.scheduleInitialFaults()
    await server.value
} catch {
    Console.error("FATAL: \(error)")
    exit(1)
}
withExtendedLifetime(signalSources) {}
