// The pickle writer: the opcodes torch.save emits, for tests and tools that make .ckpt files.
#include "io/Pickle.h"

#include <cstring>

#include "io/PickleOpcodes.h"

namespace qd::pickle
{

Writer::Writer(int protocol)
{
    proto(protocol);
}

namespace
{
void appendLe(std::string& s, uint64_t v, int n)
{
    for (int i = 0; i < n; ++i)
        s += char((v >> (8 * i)) & 0xFF);
}
} // namespace

void Writer::proto(int protocol)
{
    m_data += char(PROTO);
    m_data += char(protocol);
}
void Writer::mark()
{
    m_data += char(MARK);
}
void Writer::stop()
{
    m_data += char(STOP);
}
void Writer::none()
{
    m_data += char(NONE);
}
void Writer::boolean(bool v)
{
    m_data += char(v ? NEWTRUE : NEWFALSE);
}

void Writer::integer(int64_t v)
{
    // The smallest form CPython's pickler picks: BININT1, BININT2, BININT, else LONG1.
    if (v >= 0 && v < 256) {
        m_data += char(BININT1);
        appendLe(m_data, uint64_t(v), 1);
    } else if (v >= 0 && v < 65536) {
        m_data += char(BININT2);
        appendLe(m_data, uint64_t(v), 2);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        m_data += char(BININT);
        appendLe(m_data, uint64_t(uint32_t(int32_t(v))), 4);
    } else {
        m_data += char(LONG1);
        m_data += char(8);
        appendLe(m_data, uint64_t(v), 8);
    }
}

void Writer::real(double v)
{
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    m_data += char(BINFLOAT);
    for (int i = 7; i >= 0; --i)
        m_data += char((bits >> (8 * i)) & 0xFF);
}

void Writer::string(const std::string& s)
{
    m_data += char(BINUNICODE);
    appendLe(m_data, s.size(), 4);
    m_data += s;
}

void Writer::bytes(const std::string& b)
{
    m_data += char(BINBYTES);
    appendLe(m_data, b.size(), 4);
    m_data += b;
}

void Writer::global(const std::string& module, const std::string& name)
{
    m_data += char(GLOBAL);
    m_data += module + "\n" + name + "\n";
}

void Writer::emptyDict()
{
    m_data += char(EMPTY_DICT);
}
void Writer::emptyList()
{
    m_data += char(EMPTY_LIST);
}
void Writer::emptyTuple()
{
    m_data += char(EMPTY_TUPLE);
}

void Writer::tuple(size_t n)
{
    if (n == 0)
        m_data += char(EMPTY_TUPLE);
    else if (n <= 3)
        m_data += char(TUPLE1 + (n - 1));
    else
        m_data += char(TUPLE);
}

void Writer::setItem()
{
    m_data += char(SETITEM);
}
void Writer::setItems()
{
    m_data += char(SETITEMS);
}
void Writer::append()
{
    m_data += char(APPEND);
}
void Writer::appends()
{
    m_data += char(APPENDS);
}
void Writer::reduce()
{
    m_data += char(REDUCE);
}
void Writer::build()
{
    m_data += char(BUILD);
}
void Writer::newObj()
{
    m_data += char(NEWOBJ);
}
void Writer::binPersId()
{
    m_data += char(BINPERSID);
}

void Writer::put(uint32_t index)
{
    if (index < 256) {
        m_data += char(BINPUT);
        appendLe(m_data, index, 1);
    } else {
        m_data += char(LONG_BINPUT);
        appendLe(m_data, index, 4);
    }
}

void Writer::get(uint32_t index)
{
    if (index < 256) {
        m_data += char(BINGET);
        appendLe(m_data, index, 1);
    } else {
        m_data += char(LONG_BINGET);
        appendLe(m_data, index, 4);
    }
}

void Writer::raw(const std::string& bytes)
{
    m_data += bytes;
}

} // namespace qd::pickle
