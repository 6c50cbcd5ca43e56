"""libvirt domains for test guests: render the XML, start, watch, stop.

Guests are transient and started with VIR_DOMAIN_START_AUTODESTROY: libvirt destroys
them as soon as the connection that started them closes, so a test process that dies
(Ctrl-C, SIGKILL, a crash of ours) cannot leave a domain behind.
"""
import functools
import os

import jinja2
import libvirt

from avocado_vexfs.errors import GuestError, HostError

NAME_PREFIX = "avocado-vexfs-"
KEY_LEFTALT = 56
KEY_SYSRQ = 99
SYSRQ_KEYS = {"b": 48, "c": 46, "l": 38, "m": 50, "s": 31, "t": 20, "w": 17}


def _ignore_libvirt_errors(_ctx, _err):
    """libvirt prints every error to stderr by default; ours are raised as exceptions."""


libvirt.registerErrorHandler(_ignore_libvirt_errors, None)


@functools.lru_cache(maxsize=None)
def connect(uri):
    """One connection per URI per process: autodestroy guests live as long as it does."""
    try:
        return libvirt.open(uri)
    except libvirt.libvirtError as err:
        raise HostError(f"cannot connect to libvirt at {uri}: {err.get_error_message()} "
                        f"(is libvirtd running? 'make host' starts it)") from err


def render_xml(**values):
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(os.path.join(os.path.dirname(__file__), "templates")),
        autoescape=jinja2.select_autoescape(["xml", "j2"]), undefined=jinja2.StrictUndefined)
    return env.get_template("domain.xml.j2").render(**values)


def emulator_path(uri):
    """The qemu binary libvirt reports for x86_64 guests."""
    conn = connect(uri)
    caps = conn.getDomainCapabilities(None, "x86_64", None, "qemu", 0)
    start = caps.find("<path>")
    if start < 0:
        raise HostError(f"libvirt at {uri} reports no qemu-system-x86_64 emulator")
    return caps[start + len("<path>"):caps.index("</path>")]


class Domain:
    """A running transient guest."""

    def __init__(self, uri, xml, autodestroy=True):
        self.uri = uri
        flags = libvirt.VIR_DOMAIN_START_AUTODESTROY if autodestroy else 0
        try:
            self.dom = connect(uri).createXML(xml, flags)
        except libvirt.libvirtError as err:
            raise GuestError(f"libvirt refused to start the guest: "
                             f"{err.get_error_message()}") from err
        self.name = self.dom.name()

    @classmethod
    def lookup(cls, uri, name):
        """The running domain ``name`` (started by another process of ours)."""
        domain = cls.__new__(cls)
        domain.uri = uri
        try:
            domain.dom = connect(uri).lookupByName(name)
        except libvirt.libvirtError as err:
            raise GuestError(f"no guest {name}: {err.get_error_message()}") from err
        domain.name = name
        return domain

    def is_active(self):
        try:
            return bool(self.dom.isActive())
        except libvirt.libvirtError:
            return False

    def state(self):
        """A word for the domain's state, for error messages (running, paused, shutoff)."""
        names = {libvirt.VIR_DOMAIN_RUNNING: "running", libvirt.VIR_DOMAIN_PAUSED: "paused",
                 libvirt.VIR_DOMAIN_SHUTOFF: "shutoff", libvirt.VIR_DOMAIN_CRASHED: "crashed"}
        try:
            return names.get(self.dom.state()[0], "other")
        except libvirt.libvirtError:
            return "gone"

    def sysrq(self, key):
        """Press Alt+SysRq+key on the guest's keyboard (guest needs sysrq_always_enabled)."""
        self.dom.sendKey(libvirt.VIR_KEYCODE_SET_LINUX, 0,
                         [KEY_LEFTALT, KEY_SYSRQ, SYSRQ_KEYS[key]], 3, 0)

    def destroy(self):
        """Power the guest off now; a guest that is already gone is fine."""
        try:
            self.dom.destroy()
        except libvirt.libvirtError as err:
            if self.is_active():
                raise GuestError(f"could not destroy {self.name}: "
                                 f"{err.get_error_message()}") from err


def destroy_by_name(uri, name):
    """Destroy domain ``name`` if libvirt still runs it; True when one was destroyed."""
    try:
        Domain.lookup(uri, name).destroy()
    except GuestError:
        return False
    return True


def leftover_domains(uri):
    """Names of avocado-vexfs domains libvirt still knows about, active or defined."""
    conn = connect(uri)
    return sorted(d.name() for d in conn.listAllDomains()
                  if d.name().startswith(NAME_PREFIX))
