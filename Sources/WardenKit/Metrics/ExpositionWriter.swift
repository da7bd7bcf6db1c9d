import Foundation
import NIOCore

/// Writes the Prometheus text format 0.0.4.
///
/// A small writer of our own instead of swift-prometheus: Warden's values are mostly read at scrape time
/// from state it already keeps (a collector pattern), which a registry of long-lived metric objects would
/// duplicate; label values must be escaped (swift-prometheus issue #38); and the output is built in one pass
/// into the byte buffer the HTTP response carries: a scrape of sixteen engines is about 2,000 lines, and String
/// appends, intermediate arrays and a copy into the response would cost more than everything else a scrape does.
/// `promtool check metrics` checks the result.
public struct ExpositionWriter: Sendable {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The text written so far, as UTF-8.
    public private(set) var buffer: ByteBuffer
    /// The family `write(_:samples:)` is writing, until its HELP and TYPE lines are out (before its first sample).
    private var unannounced: MetricFamily?

    /// The text written so far.
    public var output: String { String(buffer: buffer) }

    /// Bytes written so far.
    public var count: Int { buffer.readableBytes }

    public init(capacity: Int = 8192) {
        self.init(into: ByteBufferAllocator().buffer(capacity: capacity))
    }

    /// Writes after what `buffer` holds (nothing, for a buffer just cleared).
    public init(into buffer: ByteBuffer) {
        self.buffer = buffer
    }

    public struct Sample: Sendable {
        public var labels: [String]
        public var value: Double
        /// `_bucket`, `_sum` or `_count` for histogram samples.
        public var suffix = ""
        /// The `le` label of a histogram bucket.
        public var le: String?

        public init(_ labels: [String], _ value: Double, suffix: String = "", le: String? = nil) {
            self.labels = labels
            self.value = value
            self.suffix = suffix
            self.le = le
        }
    }

    /// One histogram series: cumulative counts per upper bound (without +Inf), the sum and the count.
    public struct HistogramSeries: Sendable {
        public var labels: [String]
        public var buckets: [(le: Double, count: Int)]
        public var sum: Double
        public var count: Int

        public init(labels: [String], buckets: [(le: Double, count: Int)], sum: Double, count: Int) {
            self.labels = labels
            self.buckets = buckets
            self.sum = sum
            self.count = count
        }
    }

    public mutating func write(_ family: MetricFamily, histograms: [HistogramSeries]) {
        write(family, histograms.flatMap { series in
            series.buckets.map { Sample(series.labels, Double($0.count), suffix: "_bucket", le: Self.format($0.le)) }
                + [Sample(series.labels, Double(series.count), suffix: "_bucket", le: "+Inf"),
                   Sample(series.labels, series.sum, suffix: "_sum"), Sample(series.labels, Double(series.count), suffix: "_count")]
        })
    }

    /// Writes one family with its HELP and TYPE lines; a family without samples is left out entirely.
    public mutating func write(_ family: MetricFamily, _ samples: [Sample]) {
        write(family) { out in
            for sample in samples {
                out.sample(family, nil, sample.labels, value: sample.value, suffix: sample.suffix, le: sample.le)
            }
        }
    }

    public mutating func write(_ family: MetricFamily, _ value: Double) {
        write(family) { out in out.sample(family, value: value) }
    }

    /// Writes one family from the samples and parts `body` writes. Its HELP and TYPE lines go before the first of
    /// them, so that a family without samples is left out entirely.
    public mutating func write(_ family: MetricFamily, samples body: (inout ExpositionWriter) -> Void) {
        unannounced = family
        body(&self)
        unannounced = nil
    }

    /// One sample of `family`, whose labels take `leading` (when given) and then `labels`, in order: an engine's
    /// name and a value's own labels need not be joined into a new array first.
    public mutating func sample(_ family: MetricFamily, _ leading: String? = nil, _ labels: [String] = [], value: Double,
                                suffix: String = "", le: String? = nil) {
        let names = family.labels
        precondition(names.count == labels.count + (leading == nil ? 0 : 1), "\(family.name): label count mismatch")
        func label(_ index: Int) -> String {
            guard let leading else { return labels[index] }
            return index == 0 ? leading : labels[index - 1]
        }
        announce()
        let spelled = Self.isCount(value) ? nil : Self.format(value)
        // The longest line these parts make: braces, separators, quotes, every label value escaped in full.
        var room = family.name.utf8.count + suffix.utf8.count + (spelled?.utf8.count ?? LineWriter.longestCount) + 4
        for index in names.indices { room += names[index].utf8.count + 2 * label(index).utf8.count + 4 }
        if let le { room += le.utf8.count + 6 }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { target in
            var line = LineWriter(target)
            line.append(family.name)
            line.append(suffix)
            if !names.isEmpty || le != nil {
                var separator = UInt8(ascii: "{")
                for index in names.indices {
                    line.append(separator)
                    separator = UInt8(ascii: ",")
                    line.append(names[index])
                    line.append(UInt8(ascii: "="))
                    line.append(UInt8(ascii: "\""))
                    line.appendEscaped(label(index), quotes: true)
                    line.append(UInt8(ascii: "\""))
                }
                if let le {
                    line.append(separator)
                    line.append("le=\"")
                    line.append(le)
                    line.append(UInt8(ascii: "\""))
                }
                line.append(UInt8(ascii: "}"))
            }
            line.append(UInt8(ascii: " "))
            if let spelled {
                line.append(spelled)
            } else {
                line.append(Int64(value))
            }
            line.append(UInt8(ascii: "\n"))
            return line.count
        }
    }

    /// Sample lines written earlier by a writer of their own (with `sample`, outside any `write`): a part of the
    /// family being written, one engine's say.
    public mutating func append(part: ByteBuffer) {
        guard part.readableBytes > 0 else { return }
        announce()
        buffer.writeImmutableBuffer(part)
    }

    private mutating func announce() {
        guard let family = unannounced else { return }
        unannounced = nil
        let room = 2 * family.name.utf8.count + 2 * family.help.utf8.count + family.kind.rawValue.utf8.count + 20
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { target in
            var line = LineWriter(target)
            line.append("# HELP ")
            line.append(family.name)
            line.append(UInt8(ascii: " "))
            line.appendEscaped(family.help, quotes: false)
            line.append("\n# TYPE ")
            line.append(family.name)
            line.append(UInt8(ascii: " "))
            line.append(family.kind.rawValue)
            line.append(UInt8(ascii: "\n"))
            return line.count
        }
    }

    /// Whole numbers are written as integers, digit by digit (most samples are counts); others as `format` spells them.
    private static func isCount(_ value: Double) -> Bool {
        value == value.rounded() && abs(value) < 1e15
    }

    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        if isCount(value) { return String(Int64(value)) }
        return "\(value)"
    }
}

/// Writes into memory sized beforehand for what it is given: one line of the exposition, one byte buffer write.
private struct LineWriter {
    /// A whole number under 1e15 with its sign.
    static let longestCount = 16

    private let target: UnsafeMutableRawBufferPointer
    private(set) var count = 0

    init(_ target: UnsafeMutableRawBufferPointer) {
        self.target = target
    }

    mutating func append(_ byte: UInt8) {
        target[count] = byte
        count += 1
    }

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            UnsafeMutableRawBufferPointer(rebasing: target[count...]).copyMemory(from: UnsafeRawBufferPointer(bytes))
            count += bytes.count
        }
    }

    /// Label values escape backslash, double quote and newline; HELP text backslash and newline only. Takes up
    /// to twice the text's length.
    mutating func appendEscaped(_ text: String, quotes: Bool) {
        var text = text
        text.withUTF8 { bytes in
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "\\"): append(UInt8(ascii: "\\")); append(UInt8(ascii: "\\"))
                case UInt8(ascii: "\n"): append(UInt8(ascii: "\\")); append(UInt8(ascii: "n"))
                case UInt8(ascii: "\"") where quotes: append(UInt8(ascii: "\\")); append(UInt8(ascii: "\""))
                default: append(byte)
                }
            }
        }
    }

    /// Decimal digits, with a minus sign when negative: at most `longestCount` bytes for a count under 1e15.
    mutating func append(_ integer: Int64) {
        if integer < 0 { append(UInt8(ascii: "-")) }
        let first = count
        var magnitude = integer.magnitude
        repeat {
            append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        // Written lowest digit first.
        var low = first, high = count - 1
        while low < high {
            target.swapAt(low, high)
            low += 1
            high -= 1
        }
    }
}
