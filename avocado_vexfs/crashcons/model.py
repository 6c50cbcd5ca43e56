"""What a workload made durable: the facts every crash state at a mark must keep.

The model replays the workload's lines in memory (only the lines that succeeded in the
guest) and, at each persistence call, records facts:

- fsync FILE: the file at that path, its content (so its size) and its link count;
- fdatasync FILE: the file's content, if the path is there: fdatasync need not write
  the name (ext4 skips the commit after a link: a plain fdatasync on the new name of an
  unchanged inode leaves no trace, and POSIX allows it);
- fsync DIR: the directory's entries (names and types);
- sync: all of the above for every file, directory and symlink.

A crash state is the disk replayed up to the call's mark. Facts from an earlier mark
still hold at a later one unless an operation in between touched what they talk about
(the path, the inode or the directory): touched facts are dropped, because the crash
may legally show either the old or the new state. This is the "what was persisted"
oracle of CrashMonkey's AutoChecker, with link counts added (Linux filesystems commit an
fsynced inode with its names, and a kernel developer wants to know when they do not).
"""
import posixpath

from avocado_vexfs.checks.guest.crashcons import runs  # the guest's own description
from avocado_vexfs.crashcons.workload import PERSIST


class Fact:
    """One durable thing: ``kind`` is file, dir or symlink; ``want`` what must be found."""

    def __init__(self, kind, path, want, deps, origin):
        self.kind, self.path, self.want = kind, path, want
        self.deps, self.origin = deps, origin  # origin: "fsync A/foo (L9)"

    def __repr__(self):
        return f"Fact({self.kind} {self.path} {self.want} from {self.origin})"


class Model:
    """The in-memory filesystem the workload should have produced."""

    def __init__(self):
        self.tree = {"": ("dir",)}
        self.data = {}
        self.next_ino = 1
        self.version = {}

    def _touch(self, *keys):
        for key in keys:
            self.version[key] = self.version.get(key, 0) + 1

    def _inode(self, path):
        return self.tree[path][1]

    def nlink(self, ino):
        return sum(1 for node in self.tree.values() if node[0] == "file" and node[1] == ino)

    def apply(self, op, args):
        parent = lambda p: ("dir", posixpath.dirname(p))  # noqa: E731
        if op == "create":
            ino, self.next_ino = self.next_ino, self.next_ino + 1
            self.tree[args[0]], self.data[ino] = ("file", ino), bytearray()
            self._touch(("path", args[0]), parent(args[0]), ("ino", ino))
        elif op in ("write", "overwrite", "append", "truncate", "fallocate"):
            ino = self._inode(args[0])
            data = self.data[ino]
            if op == "append":
                data += args[2].encode() * int(args[1])
            elif op == "truncate":
                size = int(args[1])
                del data[size:]
                data += bytes(size - len(data))
            elif op == "fallocate":
                end = int(args[1]) + int(args[2])
                data += bytes(max(0, end - len(data)))
            else:
                offset, chunk = int(args[1]), args[3].encode() * int(args[2])
                data += bytes(max(0, offset - len(data)))
                data[offset:offset + len(chunk)] = chunk
            self._touch(("ino", ino))
        elif op == "link":
            ino = self._inode(args[0])
            self.tree[args[1]] = ("file", ino)
            self._touch(("path", args[1]), parent(args[1]), ("ino", ino))
        elif op == "symlink":
            self.tree[args[1]] = ("symlink", args[0])
            self._touch(("path", args[1]), parent(args[1]))
        elif op == "unlink":
            node = self.tree.pop(args[0])
            self._touch(("path", args[0]), parent(args[0]))
            if node[0] == "file":
                self._touch(("ino", node[1]))
        elif op == "mkdir":
            self.tree[args[0]] = ("dir",)
            self._touch(("path", args[0]), parent(args[0]), ("dir", args[0]))
        elif op == "rmdir":
            del self.tree[args[0]]
            self._touch(("path", args[0]), parent(args[0]), ("dir", args[0]))
        elif op == "rename":
            self._rename(*args)

    def _rename(self, src, dst):
        replaced = self.tree.get(dst)
        if replaced and replaced[0] == "file":
            self._touch(("ino", replaced[1]))
        moved = [p for p in self.tree if p == src or p.startswith(src + "/")]
        for path in moved:
            new = dst + path[len(src):]
            self._touch(("path", path), ("path", new), ("dir", path), ("dir", new))
        nodes = {path: self.tree.pop(path) for path in moved}
        for path, node in nodes.items():
            self.tree[dst + path[len(src):]] = node
            if node[0] == "file":
                self._touch(("ino", node[1]))
        self._touch(("dir", posixpath.dirname(src)), ("dir", posixpath.dirname(dst)))

    def entries(self, directory):
        prefix = directory + "/" if directory else ""
        return {p[len(prefix):]: node[0] for p, node in self.tree.items()
                if p and p.startswith(prefix) and "/" not in p[len(prefix):]}

    def _fact(self, kind, path, origin, with_nlink=True):
        if kind == "dir":
            return Fact("dir", path, {"entries": self.entries(path)},
                        self._deps(("path", path), ("dir", path)), origin)
        node = self.tree[path]
        if node[0] == "symlink":
            return Fact("symlink", path, {"target": node[1]},
                        self._deps(("path", path)), origin)
        want = {"size": len(self.data[node[1]]), "runs": runs(self.data[node[1]])}
        if with_nlink:
            want["nlink"] = self.nlink(node[1])
        else:
            want["may_be_missing"] = True
        return Fact("file", path, want, self._deps(("path", path), ("ino", node[1])),
                    origin)

    def _deps(self, *keys):
        return {key: self.version.get(key, 0) for key in keys}

    def still_true(self, fact):
        return all(self.version.get(key, 0) == seen for key, seen in fact.deps.items())

    def persist(self, op, args, origin):
        """Facts made durable by one persistence call (which succeeded)."""
        if op == "sync":
            return [self._fact(node[0], path, origin)
                    for path, node in sorted(self.tree.items())]
        path = "" if args[0] == "." else args[0]
        if path not in self.tree:
            return []
        kind = self.tree[path][0]
        if kind == "dir":
            return [self._fact("dir", path, origin)]
        return [self._fact(kind, path, origin, with_nlink=(op == "fsync"))]


class MarkExpectation:
    """The facts a crash state at ``mark`` must show, and the call that made the mark."""

    def __init__(self, mark, call, facts):
        self.mark, self.call, self.facts = mark, call, facts


def expectations(lines, results):
    """[MarkExpectation] for each persistence line of a workload, in order.

    ``results`` maps a line number to the guest's answer ("ok" or an errno name); a
    failed operation changes nothing and a failed persistence call promises nothing.
    """
    model, facts, out = Model(), [], []
    for line in lines:
        ok = results.get(str(line.number), results.get(line.number)) == "ok"
        if line.op in PERSIST:
            if ok:
                origin = f"{line} ({line.mark})"
                new = model.persist(line.op, line.args, origin)
                new_keys = {(f.kind, f.path) for f in new}
                facts = [f for f in facts if (f.kind, f.path) not in new_keys] + new
            facts = [f for f in facts if model.still_true(f)]
            out.append(MarkExpectation(line.mark, str(line), list(facts)))
        elif ok:
            model.apply(line.op, line.args)
            facts = [f for f in facts if model.still_true(f)]
    return out
