#include <fstream>

#include <QtTest/QtTest>
#include <torch/torch.h>
#include <zip.h>

#include "TestUtil.h"
#include "core/engine/io/Pickle.h"
#include "core/engine/io/TorchCheckpoint.h"
#include "core/engine/models/TinyModels.h"

// PyTorch .ckpt archives: the restricted pickle reader rebuilds tensors and plain data, never runs
// anything, and every malformed archive is an EngineError naming the file and the problem.
class TestTorchCheckpoint : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    const std::string m_marker = "/tmp/qdiffusion-pickle-marker-must-not-exist";

    std::string path(const std::string& name)
    {
        return m_dir.filePath(QString::fromStdString(name)).toStdString();
    }
    static std::string fixture(const char* name) { return std::string(QD_TEST_DATA) + "/io/" + name; }

    static std::string readAll(const std::string& p)
    {
        std::ifstream in(p, std::ios::binary);
        return std::string((std::istreambuf_iterator<char>(in)), {});
    }

    // A zip archive with exactly these entries, stored.
    std::string zipFile(
        const std::string& name, const std::vector<std::pair<std::string, std::string>>& entries)
    {
        const std::string p = path(name);
        QFile::remove(QString::fromStdString(p));
        int err = 0;
        zip_t* z = zip_open(p.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
        for (const auto& [n, data] : entries) {
            zip_source_t* s = zip_source_buffer(z, data.data(), data.size(), 0);
            zip_file_add(z, n.c_str(), s, 0);
        }
        zip_close(z);
        return p;
    }

    // {"state_dict": {"w": tensor over storage "0" (FloatStorage, `numel` elements), size/stride}}.
    static std::string onePickle(
        int64_t numel, std::vector<int64_t> size, std::vector<int64_t> stride, int64_t offset = 0)
    {
        qd::pickle::Writer w;
        w.emptyDict();
        w.string("state_dict");
        w.emptyDict();
        w.string("w");
        w.global("torch._utils", "_rebuild_tensor_v2");
        w.mark();
        w.mark();
        w.string("storage");
        w.global("torch", "FloatStorage");
        w.string("0");
        w.string("cpu");
        w.integer(numel);
        w.raw("t");
        w.binPersId();
        w.integer(offset);
        w.mark();
        for (auto s : size)
            w.integer(s);
        w.raw("t");
        w.mark();
        for (auto s : stride)
            w.integer(s);
        w.raw("t");
        w.boolean(false);
        w.none();
        w.raw("t");
        w.reduce();
        w.setItem();
        w.setItem();
        w.stop();
        return w.data();
    }

    static QString errorOf(const std::function<void()>& f)
    {
        try {
            f();
        } catch (const qd::EngineError& e) {
            return QString::fromUtf8(e.what());
        }
        return {};
    }

    static QString pickleError(const std::string& bytes)
    {
        return errorOf([&] {
            qd::pickle::Reader r(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "test.pkl");
            r.load();
        });
    }

private slots:
    void initTestCase() { QFile::remove(QString::fromStdString(m_marker)); }

    void readsWhatCPythonPickled_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("protocol 2, Lightning extras, folder 'archive'") << "cpython-protocol2.ckpt";
        QTest::newRow("protocol 4, folder 'v1-5-pruned-emaonly'") << "cpython-protocol4.ckpt";
        QTest::newRow("deflated storages") << "cpython-deflated.ckpt";
    }

    void readsWhatCPythonPickled()
    {
        // Values as documented in tests/data/io/make_pickle_fixtures.py.
        QFETCH(QString, file);
        const auto sd = qd::loadTorchCheckpoint(fixture(file.toUtf8().constData()));
        QCOMPARE(sd.size(), size_t(6)); // a b c d e model_ema.x; the int entry is not a tensor
        const auto a = sd.at("a");
        QCOMPARE(a.scalar_type(), torch::kFloat32);
        QCOMPARE(a.sizes().vec(), (std::vector<int64_t> { 2, 3 }));
        for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 3; ++j)
                QCOMPARE(a[i][j].item<float>(), float(i * 3 + j) + 0.5f);
        const auto b = sd.at("b");
        QCOMPARE(b.scalar_type(), torch::kFloat16);
        for (int r = 0; r < 3; ++r)
            for (int c = 0; c < 2; ++c)
                QCOMPARE(b[r][c].item<float>(), float(3 * c + r) / 4.0f);
        const auto c = sd.at("c");
        QCOMPARE(c.scalar_type(), torch::kInt64);
        for (int k = 0; k < 4; ++k)
            QCOMPARE(c[k].item<int64_t>(), int64_t(k - 2));
        QCOMPARE(sd.at("d").scalar_type(), torch::kBFloat16);
        QCOMPARE(sd.at("d")[1].item<float>(), -2.0f);
        QVERIFY(torch::equal(sd.at("e"), a[1]));
        QCOMPARE(sd.at("model_ema.x").item<float>(), 7.0f);

        qd::TensorLoadOptions o;
        o.floatDtype = torch::kFloat32;
        const auto f32 = qd::loadTorchCheckpoint(fixture(file.toUtf8().constData()), o);
        QCOMPARE(f32.at("b").scalar_type(), torch::kFloat32);
        QVERIFY(torch::equal(f32.at("b"), b.to(torch::kFloat32)));
        QCOMPARE(f32.at("c").scalar_type(), torch::kInt64);
    }

    void inspectsWithoutLoading()
    {
        const auto infos = qd::inspectTorchCheckpoint(fixture("cpython-protocol2.ckpt"));
        QCOMPARE(infos.size(), size_t(6));
        const auto b
            = std::find_if(infos.begin(), infos.end(), [](const qd::TensorInfo& t) { return t.key == "b"; });
        QCOMPARE(b->dtype, std::string("F16"));
        QCOMPARE(b->shape, (std::vector<int64_t> { 3, 2 }));
        QCOMPARE(b->bytes, uint64_t(12));
    }

    void tinyModelsRoundTrip_data()
    {
        QTest::addColumn<QString>("model");
        QTest::newRow("sd1") << "sd1";
        QTest::newRow("sd2") << "sd2";
        QTest::newRow("sdxl") << "sdxl";
    }

    void tinyModelsRoundTrip()
    {
        QFETCH(QString, model);
        const auto sd = qd::tinyStateDict(model.toStdString(), qdtest::conformance("tiny_layouts.json"));
        const std::string p = path(model.toStdString() + ".ckpt");
        qd::TorchSaveOptions so;
        so.lightningExtras = true;
        so.folder = "v1-5-pruned-emaonly";
        qd::saveTorchCheckpoint(p, sd, so);
        const auto back = qd::loadTorchCheckpoint(p);
        QCOMPARE(back.size(), sd.size());
        for (const auto& [k, t] : sd)
            QVERIFY2(back.count(k) && torch::equal(back.at(k), t), k.c_str());

        // fp16 on disk, fp32 in memory
        qd::StateDict half;
        for (const auto& [k, t] : sd)
            half[k] = t.to(torch::kFloat16);
        qd::saveTorchCheckpoint(p, half, {});
        qd::TensorLoadOptions o;
        o.floatDtype = torch::kFloat32;
        const auto up = qd::loadTorchCheckpoint(p, o);
        for (const auto& [k, t] : half)
            QVERIFY2(torch::equal(up.at(k), t.to(torch::kFloat32)), k.c_str());
    }

    void tensorsOfAMappedArchiveCanBeWritten()
    {
        // Stored storages are mapped, not copied; writing to one gives a private copy.
        const std::string p = path("cow.ckpt");
        qd::saveTorchCheckpoint(p, { { "w", torch::ones({ 4096 }) } }, {});
        {
            auto sd = qd::loadTorchCheckpoint(p);
            sd.at("w").mul_(3);
            QCOMPARE(sd.at("w").sum().item<float>(), 3.0f * 4096);
        }
        QCOMPARE(qd::loadTorchCheckpoint(p).at("w").sum().item<float>(), 4096.0f);
    }

    void refusesCode_data()
    {
        QTest::addColumn<QByteArray>("pickle");
        QTest::addColumn<QString>("global");
        const auto call = [](const char* module, const char* name, const char* arg) {
            qd::pickle::Writer w;
            w.emptyDict();
            w.string("state_dict");
            w.global(module, name);
            w.string(arg);
            w.tuple(1);
            w.reduce();
            w.setItem();
            w.stop();
            return QByteArray::fromStdString(w.data());
        };
        const std::string touch = "touch /tmp/qdiffusion-pickle-marker-must-not-exist";
        QTest::newRow("os.system") << call("os", "system", touch.c_str()) << "os.system";
        QTest::newRow("posix.system") << call("posix", "system", touch.c_str()) << "posix.system";
        QTest::newRow("builtins.eval")
            << call("builtins", "eval", "__import__('os').system('true')") << "builtins.eval";
        QTest::newRow("__builtin__.eval") << call("__builtin__", "eval", "1") << "__builtin__.eval";
        QTest::newRow("builtins.exec") << call("builtins", "exec", "1") << "builtins.exec";
        QTest::newRow("builtins.getattr") << call("builtins", "getattr", "x") << "builtins.getattr";
        QTest::newRow("subprocess.Popen") << call("subprocess", "Popen", "true") << "subprocess.Popen";
        QTest::newRow("torch.load (nested pickle)") << call("torch", "load", "x") << "torch.load";
        QTest::newRow("numpy.load") << call("numpy", "load", "x") << "numpy.load";
        // protocol 4 STACK_GLOBAL and protocol 0 INST name the same globals differently
        qd::pickle::Writer sg(4);
        sg.string("os");
        sg.string("system");
        sg.raw("\x93");
        sg.string(touch);
        sg.tuple(1);
        sg.reduce();
        sg.stop();
        QTest::newRow("STACK_GLOBAL os.system") << QByteArray::fromStdString(sg.data()) << "os.system";
        qd::pickle::Writer inst;
        inst.mark();
        inst.string(touch);
        inst.raw("ios\nsystem\n");
        inst.stop();
        QTest::newRow("INST os.system") << QByteArray::fromStdString(inst.data()) << "os.system";
    }

    void refusesCode()
    {
        QFETCH(QByteArray, pickle);
        QFETCH(QString, global);
        const QString msg = pickleError(pickle.toStdString());
        QVERIFY2(msg.contains("refuses the Python global '" + global + "'"), qPrintable(msg));
        QVERIFY2(msg.contains("test.pkl"), qPrintable(msg));
        // and the same pickle inside an archive, through the public loader
        const std::string p = zipFile("evil.ckpt", { { "archive/data.pkl", pickle.toStdString() } });
        const QString msg2 = errorOf([&] { qd::loadTorchCheckpoint(p); });
        QVERIFY2(msg2.contains(global) && msg2.contains("evil.ckpt"), qPrintable(msg2));
        QVERIFY(!QFile::exists(QString::fromStdString(m_marker)));
    }

    void refusesCPythonMadeExploits()
    {
        QString msg = pickleError(readAll(fixture("evil-os-system.pkl")));
        QVERIFY2(msg.contains("'posix.system'"), qPrintable(msg)); // CPython writes os.system as posix.system
        msg = pickleError(readAll(fixture("evil-builtins-eval.pkl")));
        QVERIFY2(msg.contains("'__builtin__.eval'"),
            qPrintable(msg)); // protocol 2 spells builtins as Python 2 did
        QVERIFY(!QFile::exists(QString::fromStdString(m_marker)));
    }

    void zipWithoutDataPkl()
    {
        const std::string p
            = zipFile("nopkl.ckpt", { { "archive/version", "3\n" }, { "archive/data/0", "abcd" } });
        const QString msg = errorOf([&] { qd::loadTorchCheckpoint(p); });
        QVERIFY2(msg.contains("without data.pkl") && msg.contains("nopkl.ckpt"), qPrintable(msg));
    }

    void corruptedStorageSize()
    {
        // data.pkl says 10 floats (40 bytes); the storage entry holds 36.
        const std::string p = zipFile("short.ckpt",
            { { "archive/data.pkl", onePickle(10, { 10 }, { 1 }) },
                { "archive/data/0", std::string(36, '\0') } });
        const QString msg = errorOf([&] { qd::loadTorchCheckpoint(p); });
        QVERIFY2(msg.contains("holds 36 bytes") && msg.contains("40 bytes") && msg.contains("'w'"),
            qPrintable(msg));
    }

    void missingStorage()
    {
        const std::string p
            = zipFile("nostorage.ckpt", { { "archive/data.pkl", onePickle(2, { 2 }, { 1 }) } });
        const QString msg = errorOf([&] { qd::loadTorchCheckpoint(p); });
        QVERIFY2(msg.contains("archive/data/0") && msg.contains("missing"), qPrintable(msg));
    }

    void viewOutsideItsStorage()
    {
        const QString msg = pickleError(onePickle(6, { 2, 3 }, { 3, 1 }, 1)); // reaches element 6 of 6
        QVERIFY2(msg.contains("reaches element 6") && msg.contains("holds 6 elements"), qPrintable(msg));
        QVERIFY(pickleError(onePickle(6, { 2, 3 }, { 3, 1 }, 0)).isEmpty());
    }

    void torchScriptIsNotACheckpoint()
    {
        const std::string p
            = zipFile("script.pt", { { "archive/constants.pkl", "x" }, { "archive/data.pkl", "x" } });
        const QString msg = errorOf([&] { qd::loadTorchCheckpoint(p); });
        QVERIFY2(msg.contains("TorchScript"), qPrintable(msg));
    }

    void topLevelMustBeADict()
    {
        qd::pickle::Writer w;
        w.emptyList();
        w.stop();
        const std::string p = zipFile("list.ckpt", { { "archive/data.pkl", w.data() } });
        const QString msg = errorOf([&] { qd::loadTorchCheckpoint(p); });
        QVERIFY2(msg.contains("expected a dict of tensors"), qPrintable(msg));
    }

    void malformedPickles_data()
    {
        QTest::addColumn<QByteArray>("pickle");
        QTest::addColumn<QString>("expected");
        QTest::newRow("truncated string") << QByteArray("\x80\x02X\xff\x00\x00\x00"
                                                        "ab",
            9) << "runs past the end";
        QTest::newRow("no STOP") << QByteArray("\x80\x02}", 3) << "truncated";
        QTest::newRow("stack underflow") << QByteArray("\x80\x02s.", 4) << "stack underflow";
        QTest::newRow("unknown opcode") << QByteArray("\x80\x02\xff.", 4) << "unknown opcode 0xff";
        QTest::newRow("memo miss") << QByteArray("\x80\x02h\x07.", 5) << "memo slot";
        QTest::newRow("text pid") << QByteArray("\x80\x02P1\n.", 6) << "persistent id";
        QTest::newRow("protocol 5 buffer") << QByteArray("\x80\x05\x97.", 4) << "protocol 5";
        QTest::newRow("bad persistent id") << QByteArray("\x80\x02K\x01Q.", 6) << "expected ('storage'";
    }

    void malformedPickles()
    {
        QFETCH(QByteArray, pickle);
        QFETCH(QString, expected);
        const QString msg = pickleError(pickle.toStdString());
        QVERIFY2(msg.contains(expected), qPrintable(msg));
    }

    void plainDataRoundTrips()
    {
        qd::pickle::Writer w;
        w.mark();
        for (int64_t v : { int64_t(0), int64_t(255), int64_t(256), int64_t(65536), int64_t(-1),
                 int64_t(1) << 40, -(int64_t(1) << 62) })
            w.integer(v);
        w.real(-0.125);
        w.string("caf\xc3\xa9");
        w.bytes(std::string("\0\1", 2));
        w.none();
        w.boolean(true);
        w.raw("t");
        w.stop();
        const std::string bytes = w.data();
        qd::pickle::Reader r(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "x");
        const auto& t = r.load();
        QCOMPARE(t.kind, qd::pickle::Kind::Tuple);
        QCOMPARE(t.items.size(), size_t(12));
        QCOMPARE(t.items[3]->integer, int64_t(65536));
        QCOMPARE(t.items[4]->integer, int64_t(-1));
        QCOMPARE(t.items[5]->integer, int64_t(1) << 40);
        QCOMPARE(t.items[6]->integer, -(int64_t(1) << 62));
        QCOMPARE(t.items[7]->real, -0.125);
        QCOMPARE(t.items[8]->text, std::string("caf\xc3\xa9"));
        QCOMPARE(t.items[9]->kind, qd::pickle::Kind::Bytes);
        QCOMPARE(t.items[11]->boolean, true);
    }

    void deepNestingAndCyclesDoNotCrash()
    {
        // ((((x,),),)...) a million levels deep, and a list that contains itself.
        std::string deep = "\x80\x02N" + std::string(1'000'000, '\x85') + ".";
        QVERIFY(pickleError(deep).isEmpty());
        const QString cyc = pickleError(std::string("\x80\x02]2a.", 6)); // EMPTY_LIST DUP APPEND
        QVERIFY2(cyc.isEmpty(), qPrintable(cyc));
    }

    void everyTruncationFailsCleanly()
    {
        const std::string good = readAll(fixture("cpython-protocol2.ckpt"));
        int errors = 0, tries = 0;
        for (size_t n = 0; n < good.size(); n += 7, ++tries) {
            const std::string p = path("cut.ckpt");
            std::ofstream(p, std::ios::binary | std::ios::trunc).write(good.data(), std::streamsize(n));
            errors += errorOf([&] { qd::loadTorchCheckpoint(p); }).isEmpty() ? 0 : 1;
        }
        QCOMPARE(errors, tries);
        // and a flipped byte anywhere in the pickle: an error or a load, never a crash
        const std::string pkl = [&] {
            std::string s;
            int err = 0;
            zip_t* z = zip_open(fixture("cpython-protocol2.ckpt").c_str(), ZIP_RDONLY, &err);
            zip_stat_t st;
            zip_stat(z, "archive/data.pkl", 0, &st);
            s.resize(st.size);
            zip_file_t* f = zip_fopen(z, "archive/data.pkl", 0);
            zip_fread(f, s.data(), st.size);
            zip_fclose(f);
            zip_discard(z);
            return s;
        }();
        for (size_t i = 0; i < pkl.size(); ++i)
            for (unsigned char x : { 0x01, 0x80, 0xff }) {
                std::string mutated = pkl;
                mutated[i] = char(mutated[i] ^ x);
                pickleError(mutated);
            }
    }
};

QTEST_APPLESS_MAIN(TestTorchCheckpoint)
#include "tst_torchcheckpoint.moc"
