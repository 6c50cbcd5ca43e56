"""A guest kernel's .config: Debian's cloud config, its modules dropped, a fragment on top.

Pure text in, text out, so it is tested without a kernel tree. Debian's config builds
about 1100 modules; a guest needs a dozen of them, which the fragment builds in. Dropping
the rest takes the build from hours to minutes on two cores and leaves the kernel
nothing to load from a modules directory.
"""
import re

_SET = re.compile(r"^(CONFIG_\w+)=(.*)$")
_UNSET = re.compile(r"^# (CONFIG_\w+) is not set$")


def parse(text):
    """{option: value} of a .config or fragment; an unset option maps to "n"."""
    options = {}
    for line in text.splitlines():
        line = line.strip()
        match = _SET.match(line) or _UNSET.match(line)
        if match:
            options[match.group(1)] = match.group(2) if match.re is _SET else "n"
    return options


def render(options):
    return "".join(f"# {name} is not set\n" if value == "n" else f"{name}={value}\n"
                   for name, value in options.items())


def derive(base_text, fragment_text, localversion):
    """The .config to hand to olddefconfig: base without modules, fragment applied."""
    options = {name: ("n" if value == "m" else value)
               for name, value in parse(base_text).items()}
    options.update(parse(fragment_text))
    options["CONFIG_LOCALVERSION"] = f'"{localversion}"'
    return render(options)


def unmet(final_text, fragment_text):
    """Fragment options the final config does not hold, as "NAME=want (got x)" lines.

    olddefconfig silently drops what a dependency forbids; a debug kernel that quietly
    lost KASAN would pass every test it should fail, so the build checks this.
    """
    final = parse(final_text)
    missing = []
    for name, want in parse(fragment_text).items():
        got = final.get(name, "n")
        if got != want and not (want == "n" and got == "n"):
            missing.append(f"{name}={want} (got {got})")
    return missing
