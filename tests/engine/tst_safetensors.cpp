#include <fstream>

#include <QtTest/QtTest>
#include <torch/torch.h>

#include "TestUtil.h"
#include "core/engine/io/MappedFile.h"
#include "core/engine/io/SafeTensors.h"

// .safetensors: memory-mapped reading, conversion on load, the streaming writer, and strict header
// validation (every malformed header is an EngineError naming the file and the problem).
class TestSafeTensors : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    std::string path(const char* name) { return m_dir.filePath(name).toStdString(); }

    // A file with the given header text (its length written in front unless `length` overrides it)
    // followed by `data`.
    std::string rawFile(const char* name, const std::string& header, const std::string& data,
        std::optional<uint64_t> length = std::nullopt)
    {
        const std::string p = path(name);
        std::ofstream out(p, std::ios::binary | std::ios::trunc);
        const uint64_t n = length.value_or(header.size());
        for (int i = 0; i < 8; ++i)
            out.put(char((n >> (8 * i)) & 0xFF));
        out << header << data;
        return p;
    }

    static QString errorOf(const std::string& p)
    {
        try {
            qd::loadSafetensors(p);
        } catch (const qd::EngineError& e) {
            return QString::fromUtf8(e.what());
        }
        return {};
    }

private slots:
    void roundTripKeepsEveryDtype()
    {
        qd::StateDict sd { { "f32", torch::randn({ 3, 5 }) },
            { "f16", torch::randn({ 4, 2 }).to(torch::kFloat16) },
            { "bf16", torch::randn({ 7 }).to(torch::kBFloat16) },
            { "f64", torch::randn({ 2, 2 }, torch::kFloat64) },
            { "i64", torch::arange(-3, 3, torch::kInt64) }, { "i32", torch::arange(5, torch::kInt32) },
            { "u8", torch::arange(200, 210).to(torch::kUInt8) },
            { "bool", torch::tensor({ true, false, true }) }, { "scalar", torch::tensor(3.5) },
            { "empty", torch::zeros({ 0, 4 }) } };
        const std::string p = path("all.safetensors");
        qd::saveSafetensors(p, sd, { { "format", "pt" }, { "note", "x" } });
        const auto back = qd::loadSafetensors(p);
        QCOMPARE(back.size(), sd.size());
        for (const auto& [k, t] : sd) {
            QCOMPARE(back.at(k).scalar_type(), t.scalar_type());
            QVERIFY2(back.at(k).sizes() == t.sizes(), k.c_str());
            QVERIFY2(torch::equal(back.at(k), t), k.c_str());
        }
        QCOMPARE(qd::safetensorsMetadata(p).at("note"), std::string("x"));
    }

    void tensorsPointIntoTheMappedFile()
    {
        // Zero-copy: consecutive tensors sit in memory exactly as far apart as in the file.
        qd::StateDict sd { { "a", torch::randn({ 16 }) }, { "b", torch::randn({ 8 }) } };
        const std::string p = path("zc.safetensors");
        qd::saveSafetensors(p, sd);
        const auto header = qd::readSafetensorsHeader(p);
        const auto back = qd::loadSafetensors(p);
        const auto* a = static_cast<const char*>(back.at("a").data_ptr());
        const auto* b = static_cast<const char*>(back.at("b").data_ptr());
        QCOMPARE(int64_t(b - a), int64_t(header.tensors[1].begin - header.tensors[0].begin));
    }

    void loadingIntoAModuleDropsOnlyMappedPages()
    {
        // loadModule drops a mapped source's pages after copying it (peak memory of a converting
        // load); the tensor must still read the file's values afterwards, and heap tensors must be
        // left alone by dropPages.
        const torch::Tensor w = torch::randn({ 256, 1024 }); // 1 MiB: many whole pages
        const std::string p = path("drop.safetensors");
        qd::saveSafetensors(
            p, { { "lin.weight", w.to(torch::kFloat16) }, { "lin.bias", torch::randn({ 256 }) } });
        const qd::StateDict sd = qd::loadSafetensors(p);
        torch::nn::Linear lin(1024, 256);
        torch::nn::Sequential model;
        model->register_module("lin", lin);
        QCOMPARE(qd::loadModule(*model, sd, "", p), 2);
        QVERIFY(torch::equal(lin->weight, w.to(torch::kFloat16).to(torch::kFloat32)));
        QVERIFY(torch::equal(sd.at("lin.weight"), w.to(torch::kFloat16))); // re-read from the file
        const torch::Tensor heap = torch::randn({ 256, 1024 });
        const torch::Tensor before = heap.clone();
        qd::MappedFile::dropPages(heap.data_ptr(), uint64_t(heap.nbytes()));
        QVERIFY(torch::equal(heap, before));
    }

    void writingToALoadedTensorLeavesTheFileAlone()
    {
        const std::string p = path("cow.safetensors");
        qd::saveSafetensors(p, { { "w", torch::ones({ 1024 }) } });
        {
            auto sd = qd::loadSafetensors(p);
            sd.at("w").add_(1); // e.g. a LoRA merged in place: must not crash on a read-only page
            QCOMPARE(sd.at("w")[0].item<float>(), 2.0f);
        }
        QCOMPARE(qd::loadSafetensors(p).at("w").sum().item<float>(), 1024.0f);
    }

    void convertsFloatsOnLoadAndKeepsIntegers()
    {
        const auto h = torch::randn({ 64, 3 }).to(torch::kFloat16);
        const auto bf = torch::randn({ 5 }).to(torch::kBFloat16);
        const std::string p = path("conv.safetensors");
        qd::saveSafetensors(p, { { "h", h }, { "bf", bf }, { "ids", torch::arange(77, torch::kInt64) } });
        qd::SafetensorsLoadOptions o;
        o.floatDtype = torch::kFloat32;
        const auto sd = qd::loadSafetensors(p, o);
        QCOMPARE(sd.at("h").scalar_type(), torch::kFloat32);
        QVERIFY(torch::equal(sd.at("h"), h.to(torch::kFloat32)));
        QVERIFY(torch::equal(sd.at("bf"), bf.to(torch::kFloat32)));
        QCOMPARE(sd.at("ids").scalar_type(), torch::kInt64);
        QCOMPARE(sd.at("ids")[76].item<int64_t>(), int64_t(76));
    }

    void keepFilterSkipsKeys()
    {
        const std::string p = path("keep.safetensors");
        qd::saveSafetensors(p, { { "model.a", torch::ones({ 2 }) }, { "model_ema.a", torch::ones({ 2 }) } });
        qd::SafetensorsLoadOptions o;
        o.keep = [](const std::string& k) { return k.rfind("model_ema.", 0) != 0; };
        const auto sd = qd::loadSafetensors(p, o);
        QCOMPARE(sd.size(), size_t(1));
        QVERIFY(sd.count("model.a"));
    }

    void unalignedDataIsCopiedNotMisread()
    {
        // A writer that did not pad its header: the F32 data starts at an odd address.
        const std::string header = R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
        std::string data(8, '\0');
        const float v[2] = { 1.5f, -2.0f };
        std::memcpy(data.data(), v, 8);
        const std::string p = rawFile("unaligned.safetensors", header + " ", data); // 8 + 57 bytes
        const auto sd = qd::loadSafetensors(p);
        QCOMPARE(sd.at("x")[0].item<float>(), 1.5f);
        QCOMPARE(sd.at("x")[1].item<float>(), -2.0f);
    }

    void streamingWriterChecksOrderAndIsAtomic()
    {
        const std::string p = path("stream.safetensors");
        {
            qd::SafetensorsWriter w(
                p, { { "a", torch::kFloat16, { 2, 2 } }, { "b", torch::kFloat32, { 3 } } });
            QVERIFY_THROWS_EXCEPTION(qd::EngineError, w.write("b", torch::zeros({ 3 })));
            QVERIFY_THROWS_EXCEPTION(qd::EngineError, w.write("a", torch::zeros({ 2, 2 }))); // wrong dtype
            w.write("a", torch::ones({ 2, 2 }, torch::kFloat16));
            // destroyed unfinished: nothing appears
        }
        QVERIFY(!QFile::exists(QString::fromStdString(p)));
        QVERIFY(!QFile::exists(QString::fromStdString(p + ".tmp")));
        qd::SafetensorsWriter w(p, { { "a", torch::kFloat16, { 2, 2 } }, { "b", torch::kFloat32, { 3 } } });
        w.write("a", torch::ones({ 2, 2 }, torch::kFloat16));
        QVERIFY_THROWS_EXCEPTION(qd::EngineError, w.finish()); // "b" missing
        w.write("b", torch::full({ 3 }, 2.0));
        w.finish();
        const auto sd = qd::loadSafetensors(p);
        QCOMPARE(sd.at("a").scalar_type(), torch::kFloat16);
        QCOMPARE(sd.at("b").sum().item<float>(), 6.0f);
        QCOMPARE(uint64_t(QFileInfo(QString::fromStdString(p)).size()), w.bytesWritten());
    }

    void badFiles_data()
    {
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<int>("dataBytes");
        QTest::addColumn<qint64>("lengthOverride"); // -1: the header's real length
        QTest::addColumn<QString>("expected"); // a part of the message
        const auto ok = [](const char* extra = "") {
            return QByteArray(R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]})") + extra + "}";
        };
        QTest::newRow("header length past the end")
            << ok() << 24 << qint64(10000) << "runs past the end of the file";
        QTest::newRow("huge header") << ok() << 24 << qint64(200'000'000) << "100 MB limit";
        QTest::newRow("invalid JSON")
            << QByteArray(R"({"w":{"dtype":)") << 0 << qint64(-1) << "not valid JSON";
        QTest::newRow("top level not an object")
            << QByteArray("[1,2]") << 0 << qint64(-1) << "expected an object";
        QTest::newRow("entry not an object")
            << QByteArray(R"({"w":[1]})") << 0 << qint64(-1) << "tensor 'w' is described by a JSON array";
        QTest::newRow("unknown dtype")
            << QByteArray(R"({"w":{"dtype":"F17","shape":[2],"data_offsets":[0,8]}})") << 8 << qint64(-1)
            << "tensor 'w' has unknown dtype 'F17'";
        QTest::newRow("shape/byte-size mismatch")
            << QByteArray(R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}})") << 20 << qint64(-1)
            << "needs 24 bytes but data_offsets [0, 20] hold 20";
        QTest::newRow("offsets out of range")
            << QByteArray(R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[8,32]}})") << 24 << qint64(-1)
            << "past the end of the data";
        QTest::newRow("overlapping offsets")
            << ok(R"(,"v":{"dtype":"F32","shape":[2],"data_offsets":[16,24]})") << 24 << qint64(-1)
            << "overlaps";
        QTest::newRow("gap between tensors")
            << QByteArray(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})") << 8 << qint64(-1)
            << "belong to no tensor";
        QTest::newRow("trailing bytes") << ok() << 40 << qint64(-1) << "not fully covered";
        QTest::newRow("duplicate key") << ok(R"(,"w":{"dtype":"F32","shape":[0],"data_offsets":[24,24]})")
                                       << 24 << qint64(-1) << "names tensor 'w' twice";
        QTest::newRow("negative dimension")
            << QByteArray(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})") << 8 << qint64(-1)
            << "expected a non-negative integer";
        QTest::newRow("byte size overflows")
            << QByteArray(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})")
            << 8 << qint64(-1) << "overflows";
        QTest::newRow("end before begin")
            << QByteArray(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})") << 8 << qint64(-1)
            << "end before they begin";
        QTest::newRow("metadata not strings") << QByteArray(R"({"__metadata__":{"n":1}})") << 0 << qint64(-1)
                                              << "metadata 'n' is a JSON number, expected a string";
        QTest::newRow("missing data_offsets") << QByteArray(R"({"w":{"dtype":"F32","shape":[1]}})") << 4
                                              << qint64(-1) << "bad \"data_offsets\"";
        QTest::newRow("truncated data") << ok() << 10 << qint64(-1) << "past the end of the data";
        QTest::newRow("invalid UTF-8") << QByteArray("{\"w\xff\":1}") << 0 << qint64(-1) << "not valid JSON";
    }

    void badFiles()
    {
        QFETCH(QByteArray, header);
        QFETCH(int, dataBytes);
        QFETCH(qint64, lengthOverride);
        QFETCH(QString, expected);
        const std::string p
            = rawFile("bad.safetensors", header.toStdString(), std::string(size_t(dataBytes), '\0'),
                lengthOverride < 0 ? std::nullopt : std::optional<uint64_t>(lengthOverride));
        const QString msg = errorOf(p);
        QVERIFY2(!msg.isEmpty(), "no error");
        QVERIFY2(msg.contains(expected), qPrintable(msg));
        QVERIFY2(msg.contains("bad.safetensors"), qPrintable(msg)); // names the file
    }

    void truncatedFileNamesTheProblem()
    {
        const std::string p = path("short.safetensors");
        std::ofstream(p, std::ios::binary) << "abc";
        const QString msg = errorOf(p);
        QVERIFY2(msg.contains("shorter than the 8-byte header length"), qPrintable(msg));
    }

    void everyTruncationFailsCleanly()
    {
        // Cut a valid file at every length: each attempt either loads or throws EngineError.
        const std::string good = path("good.safetensors");
        qd::saveSafetensors(
            good, { { "a", torch::randn({ 3, 3 }).to(torch::kFloat16) }, { "b", torch::arange(4) } });
        std::ifstream in(good, std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), {});
        int errors = 0;
        for (size_t n = 0; n < bytes.size(); ++n) {
            const std::string p = path("cut.safetensors");
            std::ofstream(p, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(n));
            errors += errorOf(p).isEmpty() ? 0 : 1;
        }
        QCOMPARE(errors, int(bytes.size())); // every strict prefix is incomplete
    }
};

QTEST_APPLESS_MAIN(TestSafeTensors)
#include "tst_safetensors.moc"
