"""Workloads: small text files, one operation a line, that a person can read and re-run.

A workload starts with a setup (directories, a file with data, an empty subdirectory)
that ends with ``sync``, then the operations under test, each optionally followed by a
persistence call. Lines::

    create PATH                 mkdir PATH / rmdir PATH / unlink PATH
    write PATH OFFSET LEN CHAR  overwrite PATH OFFSET LEN CHAR  append PATH LEN CHAR
    truncate PATH SIZE          fallocate PATH OFFSET LEN
    link SRC DST                symlink TARGET DST              rename SRC DST
    fsync PATH                  fdatasync PATH                  sync

CHAR is the byte the data is made of, so expected and found content read as runs
("8192 x 's' + 4096 x 'b'"). The guest writes a dm-log-writes mark ``L<line>`` after
every persistence call; that mark names the crash state in reports.
"""
import posixpath
import random

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.params import quick_int

ARITY = {"create": 1, "mkdir": 1, "rmdir": 1, "unlink": 1, "write": 4, "overwrite": 4,
         "append": 3, "truncate": 2, "fallocate": 3, "link": 2, "symlink": 2, "rename": 2,
         "fsync": 1, "fdatasync": 1, "sync": 0}
PERSIST = ("fsync", "fdatasync", "sync")
OPS = tuple(op for op in ARITY if op not in PERSIST)
# cfg names of the persistence calls: fsync_dir is fsync of a directory.
PERSIST_KINDS = ("fsync", "fdatasync", "sync", "fsync_dir")
DATA_CHARS = "abcdefghijklmnopqrtuvwxyz"  # 's' is kept for the setup data


class Line:
    """One workload line: its number in the file, the operation and its arguments."""

    def __init__(self, number, op, args):
        self.number, self.op, self.args = number, op, list(args)

    def __str__(self):
        return " ".join([self.op, *map(str, self.args)])

    @property
    def mark(self):
        return f"L{self.number}" if self.op in PERSIST else None


def parse(text, source="<workload>"):
    """[Line] of a workload's text; an unknown operation or a wrong argument count is a
    ConfigError naming the line."""
    lines = []
    for number, raw in enumerate(text.splitlines(), 1):
        words = raw.split("#", 1)[0].split()
        if not words:
            continue
        op, args = words[0], words[1:]
        if op not in ARITY:
            raise ConfigError(f"{source}:{number}: unknown operation {op!r}: expected one "
                              f"of {', '.join(ARITY)}")
        if len(args) != ARITY[op]:
            raise ConfigError(f"{source}:{number}: {raw.strip()!r}: {op} takes "
                              f"{ARITY[op]} arguments")
        lines.append(Line(number, op, args))
    return lines


class Bounds:
    """What the generator may use, from cfg (crashcons_* keys)."""

    def __init__(self, ops=OPS, persist=PERSIST_KINDS, seq_len=1, write_sizes=(4096,),
                 dirs=("A", "B"), names=("foo", "bar"), setup_bytes=8192, seed=1,
                 samples=10, limit=0):
        self.ops, self.persist = list(ops), list(persist)
        self.seq_len, self.write_sizes = int(seq_len), [int(s) for s in write_sizes]
        self.dirs, self.names = list(dirs), list(names)
        self.setup_bytes, self.seed = int(setup_bytes), int(seed)
        self.samples, self.limit = int(samples), int(limit)
        for op in self.ops:
            if op not in OPS:
                raise ConfigError(f"crashcons_ops: unknown operation {op!r}: expected "
                                  f"some of {', '.join(OPS)}")
        for kind in self.persist:
            if kind not in PERSIST_KINDS:
                raise ConfigError(f"crashcons_persist: unknown persistence call {kind!r}: "
                                  f"expected some of {', '.join(PERSIST_KINDS)}")
        for key in ("seq_len", "setup_bytes", "samples"):
            if getattr(self, key) <= 0:
                raise ConfigError(f"crashcons_{key} = {getattr(self, key)}: expected a "
                                  f"positive number")
        if not (self.ops and self.persist and self.write_sizes and self.dirs and
                self.names) or min(self.write_sizes) <= 0:
            raise ConfigError("crashcons_ops, _persist, _write_sizes, _dirs and _names "
                              "must each name at least one (positive) value")
        if self.seq_len > 3:
            raise ConfigError(f"crashcons_seq_len = {self.seq_len}: expected 1, 2 or 3")

    @classmethod
    def from_params(cls, params):
        def words(key, default):
            return str(params.get(key, default)).split()
        return cls(ops=words("crashcons_ops", " ".join(OPS)),
                   persist=words("crashcons_persist", " ".join(PERSIST_KINDS)),
                   seq_len=params.get("crashcons_seq_len", 1),
                   write_sizes=words("crashcons_write_sizes", "4096"),
                   dirs=words("crashcons_dirs", "A B"),
                   names=words("crashcons_names", "foo bar"),
                   setup_bytes=params.get("crashcons_setup_bytes", 8192),
                   seed=params.get("crashcons_seed", 1),
                   samples=quick_int(params, "crashcons_samples", 10),
                   limit=quick_int(params, "crashcons_limit", 0))


class Namespace:
    """The generator's view of the tree: which paths are files, dirs or symlinks."""

    def __init__(self, bounds):
        self.kind = {}
        self.size = {}
        self.candidates = [f"{d}/{n}" for d in bounds.dirs for n in bounds.names]
        self.candidates.append(f"{bounds.dirs[-1]}/sub")

    def copy(self, bounds):
        other = Namespace(bounds)
        other.kind, other.size = dict(self.kind), dict(self.size)
        return other

    def of(self, kind):
        return sorted(p for p, k in self.kind.items() if k == kind)

    def absent(self):
        return [p for p in self.candidates if p not in self.kind
                and posixpath.dirname(p) in self.kind]

    def apply(self, op, args):
        if op == "create":
            self.kind[args[0]], self.size[args[0]] = "file", 0
        elif op in ("write", "overwrite"):
            self.size[args[0]] = max(self.size[args[0]], int(args[1]) + int(args[2]))
        elif op == "append":
            self.size[args[0]] += int(args[1])
        elif op == "truncate":
            self.size[args[0]] = int(args[1])
        elif op == "fallocate":
            self.size[args[0]] = max(self.size[args[0]], int(args[1]) + int(args[2]))
        elif op == "link":
            self.kind[args[1]], self.size[args[1]] = "file", self.size[args[0]]
        elif op == "symlink":
            self.kind[args[1]] = "symlink"
        elif op == "rename":
            src, dst = args
            for path in [p for p in self.kind if p == src or p.startswith(src + "/")]:
                new = dst + path[len(src):]
                self.kind[new] = self.kind.pop(path)
                if path in self.size:
                    self.size[new] = self.size.pop(path)
        elif op in ("unlink", "rmdir"):
            self.kind.pop(args[0]), self.size.pop(args[0], None)
        elif op == "mkdir":
            self.kind[args[0]] = "dir"

    def empty_dirs(self):
        return [d for d in self.of("dir") if not any(p.startswith(d + "/") for p in self.kind)]


def setup_lines(bounds):
    """The setup every workload starts from, persisted by sync (mark of its line)."""
    lines = [f"mkdir {d}" for d in bounds.dirs]
    first = f"{bounds.dirs[0]}/{bounds.names[0]}"
    lines += [f"create {first}", f"write {first} 0 {bounds.setup_bytes} s",
              f"mkdir {bounds.dirs[-1]}/sub", "sync"]
    return lines


def op_choices(bounds, ns, char):
    """Every (op, args) the bounds allow in state ``ns``, in a stable order."""
    files, absent = ns.of("file"), ns.absent()
    choices = []
    for op in bounds.ops:
        if op == "create":
            choices += [(op, [p]) for p in absent]
        elif op in ("write", "overwrite"):
            for path in files:
                offset = 0 if op == "write" else ns.size[path] // 2
                choices += [(op, [path, offset, n, char]) for n in bounds.write_sizes]
        elif op == "append":
            choices += [(op, [p, n, char]) for p in files for n in bounds.write_sizes]
        elif op == "truncate":
            for path in files:
                sizes = sorted({ns.size[path] // 2 + 1, ns.size[path] + bounds.write_sizes[0]})
                choices += [(op, [path, size]) for size in sizes]
        elif op == "fallocate":
            choices += [(op, [p, ns.size[p], n]) for p in files for n in bounds.write_sizes]
        elif op == "link":
            choices += [(op, [s, d]) for s in files for d in absent]
        elif op == "symlink":
            choices += [(op, [s, d]) for s in files for d in absent
                        if posixpath.dirname(s) == posixpath.dirname(d)]
        elif op == "rename":
            choices += [(op, [s, d]) for s in files for d in absent + files if s != d]
            choices += [(op, [s, d]) for s in ns.empty_dirs() for d in absent
                        if not d.startswith(s + "/")]
        elif op == "unlink":
            choices += [(op, [p]) for p in files + ns.of("symlink")]
        elif op == "mkdir":
            choices += [(op, [p]) for p in absent]
        elif op == "rmdir":
            choices += [(op, [p]) for p in ns.empty_dirs() if "/" in p]
    return [(op, [str(a) for a in args]) for op, args in choices]


def persist_choices(bounds, ns, touched):
    """Persistence lines after an op that touched ``touched`` paths (after the op)."""
    out = []
    for kind in bounds.persist:
        if kind == "sync":
            out.append("sync")
            continue
        for path in touched:
            if kind == "fsync_dir":
                parent = posixpath.dirname(path)
                line = f"fsync {parent or '.'}"
                if ns.kind.get(path) == "dir":
                    out.append(f"fsync {path}")
            elif ns.kind.get(path) == "file":
                line = f"{kind} {path}"
            else:
                continue
            out.append(line)
    return list(dict.fromkeys(out))


def touched_paths(op, args):
    if op == "symlink":
        return [args[1]]
    if op in ("link", "rename"):
        return list(args)
    return [args[0]]


def render(name, bounds, body):
    head = [f"# avocado-vexfs crash-consistency workload {name}",
            "# setup (made durable by sync)"]
    return "\n".join(head + setup_lines(bounds) + ["# workload"] + body) + "\n"


def _setup_namespace(bounds):
    ns = Namespace(bounds)
    for line in parse("\n".join(setup_lines(bounds))):
        if line.op not in PERSIST:
            ns.apply(line.op, line.args)
    return ns


def exhaustive_seq1(bounds):
    """[(name, text)]: every allowed op from the setup state, with every persistence call
    that covers it."""
    ns0 = _setup_namespace(bounds)
    out = []
    for op, args in op_choices(bounds, ns0, DATA_CHARS[0]):
        ns = ns0.copy(bounds)
        ns.apply(op, args)
        for persist in persist_choices(bounds, ns, touched_paths(op, args)):
            name = f"seq1-{len(out) + 1:03d}"
            out.append((name, render(name, bounds, [" ".join([op, *args]), persist])))
    return out


def sampled(bounds, length):
    """[(name, text)]: ``bounds.samples`` random sequences of ``length`` ops (seeded);
    each op is followed by a persistence call or, except the last, by none."""
    rng = random.Random(bounds.seed)
    ns0 = _setup_namespace(bounds)
    out, tries = [], 0
    while len(out) < bounds.samples and tries < bounds.samples * 20:
        tries += 1
        ns, body = ns0.copy(bounds), []
        for index in range(length):
            choices = op_choices(bounds, ns, DATA_CHARS[index % len(DATA_CHARS)])
            if not choices:
                break
            op, args = rng.choice(choices)
            ns.apply(op, args)
            body.append(" ".join([op, *args]))
            persists = persist_choices(bounds, ns, touched_paths(op, args))
            if index < length - 1:
                persists = persists + [None]
            persist = rng.choice(persists) if persists else None
            if persist:
                body.append(persist)
        if len(body) < length or body[-1].split()[0] not in PERSIST:
            continue
        name = f"seq{length}-s{bounds.seed}-{len(out) + 1:03d}"
        out.append((name, render(name, bounds, body)))
    return out


def generate(bounds):
    """The workloads the bounds ask for: seq-1 exhaustive, longer ones sampled."""
    workloads = exhaustive_seq1(bounds) if bounds.seq_len == 1 else sampled(bounds,
                                                                            bounds.seq_len)
    if bounds.limit > 0:
        workloads = workloads[:: max(1, len(workloads) // bounds.limit)][:bounds.limit]
    return workloads
