// ModelLibrary: lists the model folders as AUTOMATIC1111 does (names, titles, configs, VAEs), hashes
// every file off the calling thread with the SHA-256 that `sha256sum` prints, keeps the hashes in a
// cache keyed by path + size + mtime, and survives files that vanish or cannot be read.
//
// Every expected hash below was computed with the `sha256sum` command over the same bytes the test
// writes (e.g. `printf 'alpha checkpoint\n' | sha256sum`), never with the code under test.
#include <QtTest/QtTest>

#include <QJsonDocument>
#include <QJsonObject>

#include "core/library/ModelLibrary.h"

namespace
{

const QString kShaA
    = "85c4affd801ac828399261e42fcf804ffe423d0c563b401bc02a71431c57938d"; // "alpha checkpoint\n"
const QString kShaB
    = "fe2603e37d821f5f5f35c64d0619d81ad21c1194f84ca601d42b8f1fccd5ed73"; // "beta checkpoint\n"
const QString kShaU
    = "6d1be2abd6c9d1bbd8b3fec1f7dda1caa7dea1a6bf214690ff1beb2f6525bfb3"; // "unicode checkpoint\n"
const QString kShaV9 = "ffc49ca90bd6b19ba3895c22fb2693806d90300f7705d3b3c7f6e83a4cd06405"; // "v9\n"
const QString kShaV10 = "33b34699a3d94a50fed1eded31bf82f60287e90d1b1426c21e9c5030c55abfb5"; // "v10\n"
const QString kShaMse = "89b9ab02864d7e7a6aa44160a63d63e71bc8a41543d954a42ae2f750f7815dec"; // "mse vae\n"
const QString kShaAVae = "8212c9336370c7bee53ea9b8eb86ee45e1d6a5191c52c68a4f6a3dccb9c5a593"; // "a vae\n"
// 0x110005 bytes, byte i = i % 251
const QString kShaBig = "86c21f827959a595f20bc28e7cc8dab276461f3edd56d05c19ed59fdb4f72ae9";
// its 64 KiB at 0x100000 (dd bs=1 skip=1048576 count=65536 | sha256sum): A1111's legacy hash
const QString kLegacyBig = "15ffd73b";
const QString kLegacySmall = "e3b0c442"; // sha256sum of nothing: a file shorter than 1 MiB
// cat text_encoder/model.safetensors unet/diffusion_pytorch_model.safetensors unet/extra.ckpt
//     vae/diffusion_pytorch_model.safetensors | sha256sum
const QString kShaDiffusers = "07ab9fb2c6fc4811741aa6400a4d9bf44b938d8c99bb09eaea7cf8f648a1c3f9";
const QString kShaAEdited
    = "80354e505149cdb013c42e51b314228c8e816bfc089c4456b178158cce3675b9"; // "alpha checkpoint, edited\n"

const QString kUnicodeName = QStringLiteral("子目录 dir/my model 模型.safetensors");

void write(const QString& path, const QByteArray& bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY2(f.open(QIODevice::WriteOnly), qPrintable(path));
    QCOMPARE(f.write(bytes), bytes.size());
}

QByteArray bigBytes()
{
    QByteArray b(0x110005, Qt::Uninitialized);
    for (int i = 0; i < b.size(); ++i)
        b[i] = char(i % 251);
    return b;
}

// The folder every test scans (a few tests add to it).
void makeModels(const QString& root)
{
    write(root + "/a.safetensors", "alpha checkpoint\n");
    write(root + "/a.yaml", "model: {}\n");
    write(root + "/a.vae.safetensors", "a vae\n");
    write(root + "/big.safetensors", bigBytes());
    write(root + "/sub/b.ckpt", "beta checkpoint\n");
    write(root + "/sub/deeper/v9 model.safetensors", "v9\n");
    write(root + "/sub/deeper/v10 model.safetensors", "v10\n");
    write(root + "/" + kUnicodeName, "unicode checkpoint\n");
    // a diffusers folder: one entry, hashed over its weight files, not descended into
    write(root + "/diff/model_index.json", "{}\n");
    write(root + "/diff/unet/config.json", "{}\n");
    write(root + "/diff/unet/diffusion_pytorch_model.safetensors", "unet weights\n");
    write(root + "/diff/unet/extra.ckpt", "inner\n");
    write(root + "/diff/vae/diffusion_pytorch_model.safetensors", "vae weights\n");
    write(root + "/diff/text_encoder/model.safetensors", "text weights\n");
    // not checkpoints
    write(root + "/taesd_decoder.safetensors", "taesd\n");
    write(root + "/taesdxl_decoder.safetensors", "taesdxl\n");
    write(root + "/notes.txt", "notes\n");
    write(root + "/embedding.pt", "embedding\n");
    write(root + "/.hidden/h.safetensors", "hidden\n");
    write(root + "/Lora/style.safetensors", "lora\n");
    write(root + "/VAE/vae-ft-mse.safetensors", "mse vae\n");
    write(root + "/VAE/b.vae.pt", "b vae\n");
}

const QStringList kNames = { "a.safetensors", "big.safetensors", "diff", "sub/b.ckpt",
    "sub/deeper/v9 model.safetensors", // natural order: 9 before 10
    "sub/deeper/v10 model.safetensors", kUnicodeName };

QStringList namesOf(const QList<qd::ModelEntry>& list)
{
    QStringList out;
    for (const qd::ModelEntry& e : list)
        out << e.name;
    return out;
}

qd::ModelEntry entry(const qd::ModelLibrary& lib, const QString& name)
{
    const auto e = lib.findByName(name);
    return e ? *e : qd::ModelEntry();
}

QString shaOf(const qd::ModelLibrary& lib, const QString& name)
{
    return entry(lib, name).sha256;
}

void setMtime(const QString& path, const QDateTime& t)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadWrite));
    QVERIFY(f.setFileTime(t, QFileDevice::FileModificationTime));
}

} // namespace

class TestModelLibrary : public QObject
{
    Q_OBJECT

    QTemporaryDir m_tmp;
    QString m_root;
    QString m_cache;

    // A library over the test folder with its own cache file.
    std::unique_ptr<qd::ModelLibrary> library(bool hashing = true, const QString& root = QString())
    {
        auto lib = std::make_unique<qd::ModelLibrary>();
        lib->setCacheFile(m_cache);
        lib->setHashingEnabled(hashing);
        lib->setFolders({ root.isEmpty() ? m_root : root });
        return lib;
    }

private slots:
    void init()
    {
        QVERIFY(m_tmp.isValid());
        m_root = m_tmp.path() + "/models " + QString::number(m_counter++);
        m_cache = m_root + "-cache/model-hashes.json";
        makeModels(m_root);
    }

    void listsCheckpointsAsA1111()
    {
        const auto lib = library(false);
        const QList<qd::ModelEntry> list = lib->entries();
        QCOMPARE(namesOf(list), kNames);

        const qd::ModelEntry a = entry(*lib, "a.safetensors");
        QCOMPARE(a.path, QDir(m_root).absoluteFilePath("a.safetensors"));
        QCOMPARE(a.format, qd::ModelEntry::Format::Safetensors);
        QCOMPARE(a.modelName, QString("a"));
        QCOMPARE(a.config, QDir(m_root).absoluteFilePath("a.yaml"));
        QCOMPARE(a.vae, QDir(m_root).absoluteFilePath("a.vae.safetensors"));
        QCOMPARE(a.title(), QString("a.safetensors")); // no hash yet: A1111 shows the bare name
        QVERIFY(a.sha256.isEmpty());

        const qd::ModelEntry b = entry(*lib, "sub/b.ckpt");
        QCOMPARE(b.format, qd::ModelEntry::Format::Ckpt);
        QCOMPARE(b.modelName, QString("b")); // infotext "Model"
        QCOMPARE(b.apiModelName, QString("sub_b")); // A1111 sd-models "model_name"
        QVERIFY(b.config.isEmpty());
        QVERIFY(b.vae.isEmpty());
        // A1111's "Automatic": nothing beside it, but VAE/b.vae.pt carries its name
        QCOMPARE(lib->automaticVae(b), QDir(m_root).absoluteFilePath("VAE/b.vae.pt"));
        QCOMPARE(lib->automaticVae(a), a.vae);
        QVERIFY(lib->automaticVae(entry(*lib, "big.safetensors")).isEmpty());

        const qd::ModelEntry diff = entry(*lib, "diff");
        QCOMPARE(diff.format, qd::ModelEntry::Format::Diffusers);
        QCOMPARE(diff.modelName, QString("diff"));
        QVERIFY(!lib->findByName("diff/unet/extra.ckpt")); // not descended into

        const qd::ModelEntry u = entry(*lib, kUnicodeName);
        QCOMPARE(u.modelName, QStringLiteral("my model 模型"));
        QVERIFY(QFileInfo::exists(u.path));

        QStringList vaes;
        for (const qd::VaeEntry& v : lib->vaes())
            vaes << v.name;
        QCOMPARE(vaes, QStringList({ "a.vae.safetensors", "b.vae.pt", "vae-ft-mse.safetensors" }));
        QCOMPARE(lib->findVae("vae-ft-mse.safetensors")->path,
            QDir(m_root).absoluteFilePath("VAE/vae-ft-mse.safetensors"));
        QVERIFY(!lib->isHashing()); // hashing off: nothing queued
    }

    void hashesMatchSha256sumOffTheCallingThread()
    {
        auto lib = std::make_unique<qd::ModelLibrary>();
        lib->setCacheFile(m_cache);
        QSignalSpy ready(lib.get(), &qd::ModelLibrary::hashReady);
        QSignalSpy finished(lib.get(), &qd::ModelLibrary::hashingFinished);
        lib->setFolders({ m_root });
        // rescan() returned with the list but no hash: those come from the pool
        QCOMPARE(lib->entries().size(), kNames.size());
        QVERIFY(shaOf(*lib, "a.safetensors").isEmpty());
        QVERIFY(lib->isHashing());
        QVERIFY(lib->waitForHashes(60000));
        QVERIFY(finished.count() >= 1);

        QCOMPARE(shaOf(*lib, "a.safetensors"), kShaA);
        QCOMPARE(shaOf(*lib, "big.safetensors"), kShaBig);
        QCOMPARE(shaOf(*lib, "sub/b.ckpt"), kShaB);
        QCOMPARE(shaOf(*lib, "sub/deeper/v9 model.safetensors"), kShaV9);
        QCOMPARE(shaOf(*lib, "sub/deeper/v10 model.safetensors"), kShaV10);
        QCOMPARE(shaOf(*lib, kUnicodeName), kShaU);
        QCOMPARE(shaOf(*lib, "diff"), kShaDiffusers);
        QCOMPARE(lib->findVae("vae-ft-mse.safetensors")->sha256, kShaMse);
        QCOMPARE(lib->findVae("a.vae.safetensors")->hash(), kShaAVae.left(10));
        QCOMPARE(entry(*lib, "big.safetensors").legacyHash, kLegacyBig);
        QCOMPARE(entry(*lib, "a.safetensors").legacyHash, kLegacySmall);
        QVERIFY(entry(*lib, "diff").legacyHash.isEmpty());

        const qd::ModelEntry b = entry(*lib, "sub/b.ckpt");
        QCOMPARE(b.hash(), QString("fe2603e37d"));
        QCOMPARE(b.title(), QString("sub/b.ckpt [fe2603e37d]"));
        QCOMPARE(entry(*lib, kUnicodeName).title(), kUnicodeName + " [" + kShaU.left(10) + "]");

        // one hashReady per file (7 checkpoints, 3 VAEs), carrying the path and the short hash
        QCOMPARE(ready.count(), kNames.size() + 3);
        QSet<QString> paths;
        for (const QList<QVariant>& args : ready) {
            paths.insert(args[0].toString());
            if (args[0].toString() == b.path)
                QCOMPARE(args[1].toString(), QString("fe2603e37d"));
        }
        QCOMPARE(paths.size(), ready.count());
        QVERIFY(QFileInfo::exists(m_cache));
    }

    void lookups()
    {
        const auto lib = library();
        QVERIFY(lib->waitForHashes(60000));
        const QString b = QDir(m_root).absoluteFilePath("sub/b.ckpt");
        QCOMPARE(lib->findByTitle("sub/b.ckpt [fe2603e37d]")->path, b);
        QCOMPARE(lib->findByName("sub/b.ckpt")->path, b);
        QCOMPARE(lib->findByModelName("b")->path, b);
        QCOMPARE(lib->findByModelName("sub_b")->path, b);
        QCOMPARE(lib->findByHash("fe2603e37d")->path, b);
        QCOMPARE(lib->findByHash("FE2603E37D")->path, b);
        QCOMPARE(lib->findByHash(kShaB)->path, b);
        QCOMPARE(lib->findByHash(kLegacyBig)->name, QString("big.safetensors")); // old A1111 infotexts
        QCOMPARE(lib->findByTitle("big.safetensors [" + kLegacyBig + "]")->name, QString("big.safetensors"));
        QCOMPARE(lib->findByPath(b)->name, QString("sub/b.ckpt"));
        QCOMPARE(lib->find("sub/b.ckpt [fe2603e37d]")->path, b);
        QCOMPARE(lib->find("b")->path, b);
        QCOMPARE(lib->find("fe2603e37d")->path, b);
        QCOMPARE(lib->find(QStringLiteral("my model 模型"))->name, kUnicodeName);
        QVERIFY(!lib->findByHash("0000000000"));
        QVERIFY(!lib->findByTitle("sub/b.ckpt [0000000000]"));
        QVERIFY(!lib->find(""));
        QVERIFY(!lib->findByModelName("nope"));
        QVERIFY(!lib->findVae("nope.pt"));
    }

    void cacheServesHashesUntilTheFileChanges()
    {
        const QString a = QDir(m_root).absoluteFilePath("a.safetensors");
        {
            const auto first = library();
            QVERIFY(first->waitForHashes(60000));
        }
        // Doctor the cached hash of the unchanged file: a library that reads the cache must serve
        // the doctored value, which no reading of the file could give.
        QFile f(m_cache);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QJsonObject root = QJsonDocument::fromJson(f.readAll()).object();
        f.close();
        QJsonObject files = root.value("files").toObject();
        QVERIFY2(files.contains(a), qPrintable(QJsonDocument(root).toJson()));
        QVERIFY(files.contains(QDir(m_root).absoluteFilePath(kUnicodeName)));
        QJsonObject rec = files.value(a).toObject();
        QCOMPARE(rec.value("sha256").toString(), kShaA);
        const QString doctored = QString("ab").repeated(32);
        rec.insert("sha256", doctored);
        files.insert(a, rec);
        root.insert("files", files);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(QJsonDocument(root).toJson());
        f.close();

        {
            const auto second = library();
            QCOMPARE(second->pendingHashes(), 0); // everything from the cache: nothing to read
            QVERIFY(!second->isHashing());
            QCOMPARE(shaOf(*second, "a.safetensors"), doctored);
            QCOMPARE(entry(*second, "a.safetensors").title(), QString("a.safetensors [ababababab]"));
            QCOMPARE(shaOf(*second, kUnicodeName), kShaU);
        }

        // A newer mtime: hashed again, and the cache learns the true value.
        const QDateTime mtime = QFileInfo(a).lastModified();
        setMtime(a, mtime.addSecs(3600));
        {
            const auto third = library();
            QCOMPARE(third->pendingHashes(), 1);
            QVERIFY(shaOf(*third, "a.safetensors").isEmpty());
            QVERIFY(third->waitForHashes(60000));
            QCOMPARE(shaOf(*third, "a.safetensors"), kShaA);
        }
        {
            const auto fourth = library();
            QCOMPARE(fourth->pendingHashes(), 0);
            QCOMPARE(shaOf(*fourth, "a.safetensors"), kShaA);
        }

        // A new size with the same mtime: hashed again too.
        const QDateTime same = QFileInfo(a).lastModified();
        write(a, "alpha checkpoint, edited\n");
        setMtime(a, same);
        QCOMPARE(QFileInfo(a).lastModified(), same);
        {
            const auto fifth = library();
            QCOMPARE(fifth->pendingHashes(), 1);
            QVERIFY(fifth->waitForHashes(60000));
            QCOMPARE(shaOf(*fifth, "a.safetensors"), kShaAEdited);
        }
    }

    void brokenCacheIsRebuilt()
    {
        write(m_cache, "{ this is not json");
        const auto lib = library();
        QCOMPARE(lib->pendingHashes(), kNames.size() + 3);
        QVERIFY(lib->waitForHashes(60000));
        QCOMPARE(shaOf(*lib, "sub/b.ckpt"), kShaB);
        QFile f(m_cache);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(QJsonDocument::fromJson(f.readAll()).isObject());
    }

    void prioritizedFileIsHashedNext()
    {
        const auto lib = library(false);
        QCOMPARE(lib->pendingHashes(), 0);
        QSignalSpy ready(lib.get(), &qd::ModelLibrary::hashReady);
        lib->setHashingEnabled(true);
        // the VAE folder's last file would be hashed last of all (checkpoints first)
        const QString last = lib->vaes().last().path;
        lib->prioritize(last);
        QVERIFY(lib->waitForHashes(60000));
        QCOMPARE(ready.count(), kNames.size() + 3);
        // the file the worker had already taken may come first; the picked one right after it
        QVERIFY(ready[0][0].toString() == last || ready[1][0].toString() == last);
    }

    void fileDeletedBetweenScanAndHash()
    {
        const auto lib = library(false); // listed, not hashed yet
        QCOMPARE(lib->entries().size(), kNames.size());
        const QString b = QDir(m_root).absoluteFilePath("sub/b.ckpt");
        QVERIFY(QFile::remove(b));
        QSignalSpy changed(lib.get(), &qd::ModelLibrary::entriesChanged);
        QSignalSpy failed(lib.get(), &qd::ModelLibrary::hashFailed);
        lib->setHashingEnabled(true); // hashes the list as scanned: b is gone by now
        QVERIFY(lib->waitForHashes(60000));
        QCOMPARE(failed.count(), 1);
        QCOMPARE(failed[0][0].toString(), b);
        QVERIFY2(failed[0][1].toString().contains("b.ckpt"), qPrintable(failed[0][1].toString()));
        QCOMPARE(changed.count(), 1);
        QVERIFY(!lib->findByName("sub/b.ckpt")); // it left the list
        QCOMPARE(lib->entries().size(), kNames.size() - 1);
        QCOMPARE(shaOf(*lib, "a.safetensors"), kShaA); // the others are hashed all the same
    }

    void unreadableFileGetsAnError()
    {
        const QString a = QDir(m_root).absoluteFilePath("a.safetensors");
        QVERIFY(QFile::setPermissions(a, QFileDevice::Permissions()));
        QFile probe(a);
        if (probe.open(QIODevice::ReadOnly)) { // root reads anything
            QFile::setPermissions(a, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
            QSKIP("running as root: permissions do not stop reading");
        }
        const auto lib = library();
        QSignalSpy failed(lib.get(), &qd::ModelLibrary::hashFailed);
        QVERIFY(lib->waitForHashes(60000));
        QFile::setPermissions(a, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        QCOMPARE(failed.count(), 1);
        const qd::ModelEntry e = entry(*lib, "a.safetensors");
        QCOMPARE(e.path, a); // still listed, with the reason
        QVERIFY(e.sha256.isEmpty());
        QVERIFY2(e.error.contains("a.safetensors"), qPrintable(e.error));
        QCOMPARE(e.title(), QString("a.safetensors"));
        QCOMPARE(shaOf(*lib, "sub/b.ckpt"), kShaB);
    }

    void readErrorGetsAnError()
    {
#ifdef Q_OS_LINUX
        // Reading /proc/self/mem at offset 0 fails (EIO) whoever runs the test, root included.
        const QString mem = QDir(m_root).absoluteFilePath("mem.safetensors");
        QVERIFY(QFile::link("/proc/self/mem", mem));
        const auto lib = library();
        QSignalSpy failed(lib.get(), &qd::ModelLibrary::hashFailed);
        QVERIFY(lib->waitForHashes(60000));
        QCOMPARE(failed.count(), 1);
        const qd::ModelEntry e = entry(*lib, "mem.safetensors");
        QCOMPARE(e.path, mem);
        QVERIFY(e.sha256.isEmpty());
        QVERIFY2(e.error.contains("mem.safetensors"), qPrintable(e.error));
        QCOMPARE(shaOf(*lib, "sub/b.ckpt"), kShaB);
#else
        QSKIP("needs /proc/self/mem");
#endif
    }

    void rescanSeesNewAndRemovedFiles()
    {
        const auto lib = library(false);
        QSignalSpy changed(lib.get(), &qd::ModelLibrary::entriesChanged);
        lib->rescan();
        QCOMPARE(changed.count(), 0); // nothing changed on disk
        write(m_root + "/sub/new.safetensors", "new\n");
        lib->rescan();
        QCOMPARE(changed.count(), 1);
        QVERIFY(lib->findByName("sub/new.safetensors"));
        QVERIFY(QFile::remove(m_root + "/sub/new.safetensors"));
        QVERIFY(QDir(m_root + "/diff").removeRecursively());
        lib->rescan();
        QCOMPARE(changed.count(), 2);
        QVERIFY(!lib->findByName("sub/new.safetensors"));
        QVERIFY(!lib->findByName("diff"));
    }

    void a1111ModelsFolderLayout()
    {
        const QString webui = m_tmp.path() + "/webui/models";
        write(webui + "/Stable-diffusion/sd15/v1-5-pruned-emaonly.safetensors", "alpha checkpoint\n");
        write(webui + "/VAE/vae-ft-mse-840000-ema-pruned.safetensors", "mse vae\n");
        write(webui + "/Lora/add_detail.safetensors", "lora\n");
        write(webui + "/ESRGAN/4x.pth", "esrgan\n");
        // the models folder itself, or its Stable-diffusion subfolder: the same names
        for (const QString& folder : { webui, webui + "/Stable-diffusion" }) {
            const auto lib = library(true, folder);
            QCOMPARE(namesOf(lib->entries()), QStringList({ "sd15/v1-5-pruned-emaonly.safetensors" }));
            QCOMPARE(lib->vaes().size(), 1);
            QCOMPARE(lib->vaes()[0].name, QString("vae-ft-mse-840000-ema-pruned.safetensors"));
            QVERIFY(lib->waitForHashes(60000));
            const qd::ModelEntry e = lib->entries()[0];
            QCOMPARE(e.title(), QString("sd15/v1-5-pruned-emaonly.safetensors [85c4affd80]"));
            QCOMPARE(e.modelName, QString("v1-5-pruned-emaonly"));
        }
    }

    void foldersListedTwiceAndMissingFolders()
    {
        auto lib = std::make_unique<qd::ModelLibrary>();
        lib->setCacheFile(m_cache);
        lib->setHashingEnabled(false);
        lib->setFolders(
            { m_root, m_root + "/", m_root + "/sub", m_tmp.path() + "/does not exist", QString() });
        QCOMPARE(namesOf(lib->entries()), kNames); // sub/ was already seen under the first folder
    }

    void destroyingStopsHashingPromptly()
    {
        // A sparse 8 GiB file: hashing it whole takes seconds even at memory speed.
        const QString huge = m_root + "/0 huge.safetensors";
        {
            QFile f(huge);
            QVERIFY(f.open(QIODevice::WriteOnly));
            QVERIFY(f.resize(qint64(8) << 30));
        }
        auto lib = std::make_unique<qd::ModelLibrary>();
        lib->setCacheFile(m_cache);
        QSignalSpy ready(lib.get(), &qd::ModelLibrary::hashReady);
        QElapsedTimer t;
        t.start();
        lib->setFolders({ m_root });
        QVERIFY2(t.elapsed() < 2000, "rescan() must not hash on the calling thread");
        QCOMPARE(namesOf(lib->entries()).first(), QString("0 huge.safetensors"));
        QTest::qWait(200); // now deep inside the huge file
        QVERIFY(lib->isHashing());
        QCOMPARE(ready.count(), 0);
        t.restart();
        lib.reset();
        const qint64 ms = t.elapsed();
        QVERIFY2(ms < 1000, qPrintable(QString("destroying took %1 ms").arg(ms)));
        QFile f(m_cache);
        QVERIFY(!f.exists() || (f.open(QIODevice::ReadOnly) && !f.readAll().contains("0 huge")));

        // cancel() stops the same way and rescan() resumes
        auto again = library();
        QTest::qWait(100);
        t.restart();
        again->cancel();
        QVERIFY(t.elapsed() < 1000);
        QVERIFY(!again->isHashing() || again->pendingHashes() == 0);
        QVERIFY(again->waitForHashes(1000)); // only the posted end of the run is left
        QVERIFY(shaOf(*again, "0 huge.safetensors").isEmpty());
        QVERIFY(QFile::remove(huge));
        again->rescan();
        QVERIFY(again->waitForHashes(60000));
        QCOMPARE(shaOf(*again, "a.safetensors"), kShaA);
    }

private:
    int m_counter = 0;
};

QTEST_GUILESS_MAIN(TestModelLibrary)
#include "tst_modellibrary.moc"
