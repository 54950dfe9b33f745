#include "io/Pickle.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "EngineError.h"
#include "io/PickleOpcodes.h"

namespace qd::pickle
{

namespace
{
std::string printable(const std::string& s, size_t max = 120)
{
    std::string out;
    for (unsigned char c : s.substr(0, max))
        out += (c < 0x20 || c == 0x7F) ? '?' : char(c);
    return s.size() > max ? out + "..." : out;
}

bool mulOverflows(uint64_t a, uint64_t b, uint64_t& out)
{
    return __builtin_mul_overflow(a, b, &out);
}

} // namespace

const Object* Object::get(const std::string& key) const
{
    if (kind != Kind::Dict)
        return nullptr;
    const auto it = stringKeys.find(key);
    return it == stringKeys.end() ? nullptr : entries[it->second].second.get();
}

std::string Object::describe() const
{
    switch (kind) {
    case Kind::None:
        return "None";
    case Kind::Bool:
        return boolean ? "True" : "False";
    case Kind::Int:
        return "int " + std::to_string(integer);
    case Kind::BigInt:
        return "a large int";
    case Kind::Float:
        return "float " + std::to_string(real);
    case Kind::String:
        return "str '" + printable(text) + "'";
    case Kind::Bytes:
        return "bytes";
    case Kind::List:
        return "list";
    case Kind::Tuple:
        return "tuple of " + std::to_string(items.size());
    case Kind::Dict:
        return "dict";
    case Kind::Set:
        return "set";
    case Kind::Global:
        return "global " + printable(text);
    case Kind::Opaque:
        return "object of " + printable(text);
    case Kind::Storage:
        return "storage";
    case Kind::Tensor:
        return "tensor";
    }
    return "?";
}

// ------------------------------------------------------------------------------------------------

struct Reader::Impl {
    const uint8_t* data;
    size_t size;
    size_t pos = 0;
    size_t opStart = 0;
    std::string source;
    std::vector<Ref> stack;
    std::vector<size_t> marks;
    std::unordered_map<uint64_t, Ref> memo;
    std::vector<Ref> arena; // every object made, so destruction is flat (see ~Reader)
    std::unordered_map<std::string, std::shared_ptr<const StorageRef>> storages;
    Ref result;

    [[noreturn]] void fail(const std::string& what) const
    {
        throw EngineError(source + ": pickle byte " + std::to_string(opStart) + ": " + what);
    }

    const uint8_t* take(size_t n)
    {
        if (n > size - pos)
            fail("truncated (needs " + std::to_string(n) + " more bytes, " + std::to_string(size - pos)
                + " left)");
        const uint8_t* p = data + pos;
        pos += n;
        return p;
    }
    uint64_t le(size_t n)
    {
        const uint8_t* p = take(n);
        uint64_t v = 0;
        for (size_t i = n; i-- > 0;)
            v = (v << 8) | p[i];
        return v;
    }
    std::string bytes(uint64_t n)
    {
        if (n > size - pos)
            fail("a string of " + std::to_string(n) + " bytes runs past the end of the pickle");
        return std::string(reinterpret_cast<const char*>(take(size_t(n))), size_t(n));
    }
    std::string line()
    {
        const void* nl = std::memchr(data + pos, '\n', size - pos);
        if (!nl)
            fail("unterminated text argument");
        const size_t n = static_cast<const uint8_t*>(nl) - (data + pos);
        std::string s(reinterpret_cast<const char*>(data + pos), n);
        pos += n + 1;
        return s;
    }

    Ref make(Kind k)
    {
        auto o = std::make_shared<Object>();
        o->kind = k;
        arena.push_back(o);
        return o;
    }
    void push(Ref o) { stack.push_back(std::move(o)); }
    Ref pop()
    {
        if (stack.empty() || (!marks.empty() && stack.size() <= marks.back()))
            fail("stack underflow");
        Ref o = std::move(stack.back());
        stack.pop_back();
        return o;
    }
    Ref& top()
    {
        if (stack.empty() || (!marks.empty() && stack.size() <= marks.back()))
            fail("stack underflow");
        return stack.back();
    }
    std::vector<Ref> popMark()
    {
        if (marks.empty())
            fail("no MARK on the stack");
        const size_t m = marks.back();
        marks.pop_back();
        std::vector<Ref> items(
            std::make_move_iterator(stack.begin() + m), std::make_move_iterator(stack.end()));
        stack.resize(m);
        return items;
    }
    int64_t decimal(const std::string& s)
    {
        errno = 0;
        char* end = nullptr;
        const long long v = std::strtoll(s.c_str(), &end, 10);
        if (s.empty() || errno != 0 || (*end != '\0' && !(end[0] == 'L' && end[1] == '\0')))
            fail("bad decimal argument '" + printable(s, 40) + "'");
        return v;
    }
    Ref integer(int64_t v)
    {
        Ref o = make(Kind::Int);
        o->integer = v;
        return o;
    }
    Ref string(std::string s, Kind k = Kind::String)
    {
        Ref o = make(k);
        o->text = std::move(s);
        return o;
    }
    Ref longInt(const std::string& le)
    {
        if (le.size() > 8)
            return string(le, Kind::BigInt);
        uint64_t v = 0;
        for (size_t i = le.size(); i-- > 0;)
            v = (v << 8) | uint8_t(le[i]);
        if (!le.empty() && (uint8_t(le.back()) & 0x80) && le.size() < 8)
            v |= ~uint64_t(0) << (8 * le.size()); // sign-extend
        return integer(int64_t(v));
    }
    Ref tuple(std::vector<Ref> items)
    {
        Ref o = make(Kind::Tuple);
        o->items = std::move(items);
        return o;
    }

    Ref global(const std::string& module, const std::string& name)
    {
        GlobalRole role;
        if (!globalRole(module, name, role))
            fail("refuses the Python global '" + printable(module) + "." + printable(name)
                + "': a checkpoint needs only tensors and plain data, and this one names code QDiffusion "
                  "does "
                  "not run (the file may be malicious)");
        Ref o = string(module + "." + name, Kind::Global);
        o->role = role;
        return o;
    }

    void setItem(Object& target, Ref key, Ref value)
    {
        if (target.kind != Kind::Dict && target.kind != Kind::Opaque)
            fail("SETITEM on a " + target.describe());
        if (key->kind == Kind::String) {
            const auto it = target.stringKeys.find(key->text);
            if (it != target.stringKeys.end()) { // Python semantics: the last value wins
                target.entries[it->second].second = std::move(value);
                return;
            }
            target.stringKeys.emplace(key->text, target.entries.size());
        }
        target.entries.emplace_back(std::move(key), std::move(value));
    }

    std::vector<int64_t> intTuple(const Object& o, const char* what)
    {
        const Object* t = &o;
        if (t->kind == Kind::Opaque && t->text == "torch.Size" && t->items.size() == 1)
            t = t->items[0].get(); // torch.Size((...)) under some pickling paths
        if (t->kind != Kind::Tuple && t->kind != Kind::List)
            fail(std::string("tensor ") + what + " is a " + t->describe() + ", expected a tuple of ints");
        if (t->items.size() > 64)
            fail(std::string("tensor ") + what + " has " + std::to_string(t->items.size()) + " dimensions");
        std::vector<int64_t> out;
        for (const auto& i : t->items) {
            if (i->kind != Kind::Int || i->integer < 0)
                fail(std::string("tensor ") + what + " holds " + i->describe()
                    + ", expected a non-negative int");
            out.push_back(i->integer);
        }
        return out;
    }

    Ref storageFromPid(const Object& pid)
    {
        // ('storage', torch.<Type>Storage, key, location, numel), torch/serialization.py _save()
        if (pid.kind != Kind::Tuple || pid.items.size() != 5 || pid.items[0]->kind != Kind::String
            || pid.items[0]->text != "storage")
            fail("persistent id is a " + pid.describe()
                + ", expected ('storage', type, key, location, numel)");
        const Object& type = *pid.items[1];
        const Object& key = *pid.items[2];
        const Object& location = *pid.items[3];
        const Object& numel = *pid.items[4];
        if (type.kind != Kind::Global || type.role != GlobalRole::StorageType)
            fail("storage type is a " + type.describe() + ", expected a torch storage class");
        if (key.kind != Kind::String || location.kind != Kind::String || numel.kind != Kind::Int
            || numel.integer < 0)
            fail("persistent id of storage has bad key, location or size");
        auto s = std::make_shared<StorageRef>();
        s->key = key.text;
        s->storageType = type.text.substr(type.text.rfind('.') + 1);
        storageDtype(s->storageType, s->elementSize, s->dtype);
        s->numel = uint64_t(numel.integer);
        s->location = location.text;
        uint64_t bytes;
        if (mulOverflows(s->numel, uint64_t(s->elementSize), bytes))
            fail("storage '" + printable(s->key) + "' size overflows");
        auto [it, inserted] = storages.emplace(s->key, s);
        if (!inserted && (it->second->dtype != s->dtype || it->second->numel != s->numel))
            fail("storage '" + printable(s->key) + "' is described twice differently ("
                + it->second->storageType + " of " + std::to_string(it->second->numel) + " vs "
                + s->storageType + " of " + std::to_string(s->numel) + ")");
        Ref o = make(Kind::Storage);
        o->storage = it->second;
        return o;
    }

    Ref rebuildTensor(const std::vector<Ref>& args, size_t minArgs)
    {
        if (args.size() < minArgs)
            fail("_rebuild_tensor called with " + std::to_string(args.size()) + " arguments, expected "
                + std::to_string(minArgs));
        if (args[0]->kind != Kind::Storage)
            fail("tensor storage is a " + args[0]->describe() + ", expected a persistent-id storage");
        if (args[1]->kind != Kind::Int || args[1]->integer < 0)
            fail("tensor storage offset is a " + args[1]->describe());
        auto t = std::make_shared<TensorRef>();
        t->storage = args[0]->storage;
        t->offset = args[1]->integer;
        t->size = intTuple(*args[2], "size");
        t->stride = intTuple(*args[3], "stride");
        if (t->size.size() != t->stride.size())
            fail("tensor size has " + std::to_string(t->size.size()) + " dimensions but stride "
                + std::to_string(t->stride.size()));
        // The view must lie inside its storage: last element = offset + sum((size_i - 1) * stride_i).
        bool empty = false;
        uint64_t last = uint64_t(t->offset);
        for (size_t i = 0; i < t->size.size(); ++i) {
            if (t->size[i] == 0)
                empty = true;
            uint64_t step;
            if (t->size[i] > 0
                && (mulOverflows(uint64_t(t->size[i] - 1), uint64_t(t->stride[i]), step)
                    || __builtin_add_overflow(last, step, &last)))
                fail("tensor view overflows");
        }
        if (!empty && last >= t->storage->numel)
            fail("tensor view reaches element " + std::to_string(last) + " of storage '"
                + printable(t->storage->key) + "', which holds " + std::to_string(t->storage->numel)
                + " elements");
        Ref o = make(Kind::Tensor);
        o->tensor = t;
        return o;
    }

    // REDUCE / NEWOBJ: "calls" `callable` with `args`, building a placeholder; nothing is executed.
    Ref call(const Object& callable, const std::vector<Ref>& args)
    {
        if (callable.kind != Kind::Global)
            fail("calls a " + callable.describe() + ", expected an allowed global");
        switch (callable.role) {
        case GlobalRole::DictType: {
            Ref d = make(Kind::Dict);
            // OrderedDict([(k, v), ...]) form; defaultdict(factory) has no items
            if (callable.text != "collections.defaultdict" && !args.empty() && args[0]->kind == Kind::List)
                for (const auto& pair : args[0]->items)
                    if ((pair->kind == Kind::Tuple || pair->kind == Kind::List) && pair->items.size() == 2)
                        setItem(*d, pair->items[0], pair->items[1]);
            return d;
        }
        case GlobalRole::SetType: {
            Ref s = make(Kind::Set);
            if (!args.empty() && (args[0]->kind == Kind::List || args[0]->kind == Kind::Tuple))
                s->items = args[0]->items;
            return s;
        }
        case GlobalRole::RebuildTensorV2:
            return rebuildTensor(args, 6);
        case GlobalRole::RebuildTensor:
            return rebuildTensor(args, 4);
        case GlobalRole::RebuildParameter:
            if (args.empty() || args[0]->kind != Kind::Tensor)
                fail("_rebuild_parameter of a "
                    + (args.empty() ? std::string("nothing") : args[0]->describe()));
            return args[0];
        case GlobalRole::RebuildFromType:
            // _rebuild_from_type_v2(func, new_type, args, state): the tensor is func(*args); the
            // Python type and state are dropped.
            if (args.size() < 3 || args[2]->kind != Kind::Tuple)
                fail("_rebuild_from_type_v2 with bad arguments");
            if (args[0]->kind != Kind::Global || args[0]->role == GlobalRole::RebuildFromType)
                fail("_rebuild_from_type_v2 of a " + args[0]->describe());
            return call(*args[0], args[2]->items);
        case GlobalRole::StorageType:
        case GlobalRole::Opaque:
            break;
        }
        Ref o = make(Kind::Opaque);
        o->text = callable.text;
        o->items = args;
        return o;
    }

    void run();
};

void Reader::Impl::run()
{
    while (true) {
        opStart = pos;
        const uint8_t op = *take(1);
        switch (op) {
        case PROTO:
            if (*take(1) > 5)
                fail("unknown pickle protocol");
            break;
        case FRAME:
            le(8);
            break; // a framing hint; the bytes follow inline
        case STOP:
            result = pop();
            return;
        case MARK:
            marks.push_back(stack.size());
            break;
        case POP:
            if (!marks.empty() && stack.size() == marks.back())
                marks.pop_back(); // CPython pops a mark when the stack top is one
            else
                pop();
            break;
        case POP_MARK:
            popMark();
            break;
        case DUP:
            push(top());
            break;
        case NONE:
            push(make(Kind::None));
            break;
        case NEWTRUE:
        case NEWFALSE: {
            Ref b = make(Kind::Bool);
            b->boolean = op == NEWTRUE;
            push(b);
            break;
        }
        case BININT:
            push(integer(int32_t(uint32_t(le(4)))));
            break;
        case BININT1:
            push(integer(int64_t(le(1))));
            break;
        case BININT2:
            push(integer(int64_t(le(2))));
            break;
        case LONG1:
            push(longInt(bytes(le(1))));
            break;
        case LONG4: {
            const int64_t n = int32_t(uint32_t(le(4)));
            if (n < 0)
                fail("LONG4 with negative length");
            push(longInt(bytes(uint64_t(n))));
            break;
        }
        case INT: {
            const std::string s = line();
            if (s == "00" || s == "01") { // protocol 0 booleans
                Ref b = make(Kind::Bool);
                b->boolean = s == "01";
                push(b);
            } else {
                push(integer(decimal(s)));
            }
            break;
        }
        case LONG: { // protocol 0: "123L"; beyond 64 bits kept as text
            const std::string s = line();
            errno = 0;
            char* end = nullptr;
            const long long v = std::strtoll(s.c_str(), &end, 10);
            if (errno == ERANGE)
                push(string(s, Kind::BigInt));
            else if (s.empty() || (*end != '\0' && !(end[0] == 'L' && end[1] == '\0')))
                fail("bad LONG argument '" + printable(s, 40) + "'");
            else
                push(integer(v));
            break;
        }
        case FLOAT: {
            const std::string s = line();
            char* end = nullptr;
            Ref f = make(Kind::Float);
            f->real = std::strtod(s.c_str(), &end);
            if (s.empty() || *end != '\0')
                fail("bad float argument");
            push(f);
            break;
        }
        case BINFLOAT: {
            const uint8_t* p = take(8);
            uint64_t bits = 0;
            for (int i = 0; i < 8; ++i) // big-endian
                bits = (bits << 8) | p[i];
            Ref f = make(Kind::Float);
            std::memcpy(&f->real, &bits, 8);
            push(f);
            break;
        }
        case STRING: {
            std::string s = line();
            if (s.size() < 2 || (s[0] != '\'' && s[0] != '"') || s.back() != s[0])
                fail("STRING argument is not quoted");
            push(string(s.substr(1, s.size() - 2))); // escapes are kept as written
            break;
        }
        case UNICODE:
            push(string(line()));
            break;
        case BINSTRING: // Python 2 str: torch.load decodes these as utf-8 str
        case BINUNICODE:
            push(string(bytes(le(4))));
            break;
        case SHORT_BINSTRING:
        case SHORT_BINUNICODE:
            push(string(bytes(le(1))));
            break;
        case BINUNICODE8:
            push(string(bytes(le(8))));
            break;
        case BINBYTES:
            push(string(bytes(le(4)), Kind::Bytes));
            break;
        case SHORT_BINBYTES:
            push(string(bytes(le(1)), Kind::Bytes));
            break;
        case BINBYTES8:
            push(string(bytes(le(8)), Kind::Bytes));
            break;
        case EMPTY_LIST:
            push(make(Kind::List));
            break;
        case EMPTY_TUPLE:
            push(tuple({}));
            break;
        case EMPTY_DICT:
            push(make(Kind::Dict));
            break;
        case EMPTY_SET:
            push(make(Kind::Set));
            break;
        case LIST: {
            Ref l = make(Kind::List);
            l->items = popMark();
            push(l);
            break;
        }
        case TUPLE:
            push(tuple(popMark()));
            break;
        case TUPLE1:
        case TUPLE2:
        case TUPLE3: {
            std::vector<Ref> items(op - TUPLE1 + 1);
            for (size_t i = items.size(); i-- > 0;)
                items[i] = pop();
            push(tuple(std::move(items)));
            break;
        }
        case FROZENSET: {
            Ref s = make(Kind::Set);
            s->items = popMark();
            push(s);
            break;
        }
        case DICT: {
            std::vector<Ref> kv = popMark();
            if (kv.size() % 2)
                fail("DICT with an odd number of items");
            Ref d = make(Kind::Dict);
            for (size_t i = 0; i < kv.size(); i += 2)
                setItem(*d, kv[i], kv[i + 1]);
            push(d);
            break;
        }
        case APPEND: {
            Ref v = pop();
            Object& l = *top();
            if (l.kind != Kind::List && l.kind != Kind::Opaque)
                fail("APPEND to a " + l.describe());
            l.items.push_back(std::move(v));
            break;
        }
        case APPENDS:
        case ADDITEMS: {
            std::vector<Ref> vs = popMark();
            Object& l = *top();
            if (l.kind != (op == APPENDS ? Kind::List : Kind::Set) && l.kind != Kind::Opaque)
                fail(std::string(op == APPENDS ? "APPENDS" : "ADDITEMS") + " to a " + l.describe());
            l.items.insert(l.items.end(), vs.begin(), vs.end());
            break;
        }
        case SETITEM: {
            Ref v = pop();
            Ref k = pop();
            setItem(*top(), std::move(k), std::move(v));
            break;
        }
        case SETITEMS: {
            std::vector<Ref> kv = popMark();
            if (kv.size() % 2)
                fail("SETITEMS with an odd number of items");
            Object& d = *top();
            for (size_t i = 0; i < kv.size(); i += 2)
                setItem(d, kv[i], kv[i + 1]);
            break;
        }
        case GET: {
            const auto it = memo.find(uint64_t(decimal(line())));
            if (it == memo.end())
                fail("GET of an unset memo slot");
            push(it->second);
            break;
        }
        case BINGET:
        case LONG_BINGET: {
            const auto it = memo.find(le(op == BINGET ? 1 : 4));
            if (it == memo.end())
                fail("memo slot read before it was set");
            push(it->second);
            break;
        }
        case PUT:
            memo[uint64_t(decimal(line()))] = top();
            break;
        case BINPUT:
            memo[le(1)] = top();
            break;
        case LONG_BINPUT:
            memo[le(4)] = top();
            break;
        case MEMOIZE:
            memo[memo.size()] = top();
            break;
        case GLOBAL: {
            const std::string module = line();
            const std::string name = line();
            push(global(module, name));
            break;
        }
        case STACK_GLOBAL: {
            Ref name = pop();
            Ref module = pop();
            if (module->kind != Kind::String || name->kind != Kind::String)
                fail("STACK_GLOBAL of non-strings");
            push(global(module->text, name->text));
            break;
        }
        case INST: { // protocol 0 instance: class named inline, arguments since the mark
            const std::string module = line();
            const std::string name = line();
            Ref cls = global(module, name);
            push(call(*cls, popMark()));
            break;
        }
        case OBJ: {
            std::vector<Ref> items = popMark();
            if (items.empty())
                fail("OBJ without a class");
            Ref cls = items.front();
            push(call(*cls, std::vector<Ref>(items.begin() + 1, items.end())));
            break;
        }
        case REDUCE:
        case NEWOBJ: {
            Ref args = pop();
            Ref callable = pop();
            if (args->kind != Kind::Tuple)
                fail("arguments are a " + args->describe() + ", expected a tuple");
            push(call(*callable, args->items));
            break;
        }
        case NEWOBJ_EX: {
            pop(); // keyword arguments: dropped
            Ref args = pop();
            Ref cls = pop();
            if (args->kind != Kind::Tuple)
                fail("arguments are a " + args->describe() + ", expected a tuple");
            push(call(*cls, args->items));
            break;
        }
        case BUILD: {
            Ref state = pop();
            Object& target = *top();
            if (target.kind == Kind::Opaque) // kept for inspection, never applied
                target.items.push_back(std::move(state));
            break;
        }
        case BINPERSID: {
            Ref pid = pop();
            push(storageFromPid(*pid));
            break;
        }
        case PERSID:
            fail("text persistent id (not written by torch.save)");
        case EXT1:
        case EXT2:
        case EXT4:
            fail("extension-registry opcode (not written by torch.save)");
        case BYTEARRAY8:
        case NEXT_BUFFER:
        case READONLY_BUFFER:
            fail("protocol 5 out-of-band buffer (not written by torch.save)");
        default: {
            char hex[8];
            std::snprintf(hex, sizeof hex, "0x%02x", op);
            fail(std::string("unknown opcode ") + hex + " (not a pickle, or a corrupted one)");
        }
        }
    }
}

Reader::Reader(const uint8_t* data, size_t size, std::string source)
    : m_impl(std::make_unique<Impl>())
{
    m_impl->data = data;
    m_impl->size = size;
    m_impl->source = std::move(source);
}

Reader::~Reader()
{
    // Objects can nest deeply and even contain themselves: empty every container first so that
    // releasing the arena frees each object without recursion.
    for (auto& o : m_impl->arena) {
        o->items.clear();
        o->entries.clear();
    }
}

const Object& Reader::load()
{
    if (!m_impl->result)
        m_impl->run();
    return *m_impl->result;
}

} // namespace qd::pickle
