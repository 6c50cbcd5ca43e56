"""The guest pool's bookkeeping, without guests: slots, keys, hand-back, teardown."""
import os

import pytest

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.vm import pool as pool_mod


@pytest.fixture
def pool(tmp_path, monkeypatch):
    destroyed = []
    monkeypatch.setattr(pool_mod.domain_mod, "destroy_by_name",
                        lambda uri, name: destroyed.append(name) or True)
    monkeypatch.setattr(pool_mod.domain_mod, "leftover_domains",
                        lambda uri: ["avocado-vexfs-1-pool1-abc", "avocado-vexfs-2-pool0-x",
                                     "avocado-vexfs-1-test-y"])
    made = pool_mod.Pool(str(tmp_path / "avocado-vexfs-1-pool"), 1)
    os.makedirs(made.directory)
    made.destroyed = destroyed
    return made


def _state(name, workdir):
    return {"name": name, "workdir": str(workdir)}


def test_parallel_tests_hold_different_slots(pool):
    with pool.slot("k") as first, pool.slot("k") as second:
        assert (first.index, second.index) == (0, 1)
    with pool.slot("k") as again:
        assert again.index == 0  # released slots are taken again


def test_a_kept_guest_serves_the_same_key_only(pool, tmp_path):
    with pool.slot("key-a") as slot:
        assert slot.reusable is None and slot.tests_served == 0
        slot.keep(_state("g1", tmp_path / "g1"), "4096", 1)
    with pool.slot("key-a") as slot:
        assert slot.reusable["name"] == "g1" and slot.tests_served == 1
    (tmp_path / "g1").mkdir()
    with pool.slot("key-b") as slot:
        assert slot.reusable is None
        slot.discard_other()
        assert pool.destroyed == ["g1"] and not (tmp_path / "g1").exists()
        assert slot.saved is None and not os.path.exists(slot.path)


def test_teardown_destroys_every_kept_guest_and_the_directory(pool, tmp_path):
    with pool.slot("k") as one, pool.slot("k") as two:
        one.keep(_state("g1", tmp_path / "w1"), "0", 3)
        two.keep(_state("g2", tmp_path / "w2"), "0", 1)
    (tmp_path / "avocado-vexfs-1-pool1-abc").mkdir()
    (tmp_path / "avocado-vexfs-2-pool0-x").mkdir()
    # g1 and g2 from their slot files; pool1-abc, whose test was killed before it handed
    # the guest back, by its name; another job's guest and a test's own guest are spared
    assert pool.teardown() == ["g1", "g2", "avocado-vexfs-1-pool1-abc"]
    assert pool.destroyed == ["g1", "g2", "avocado-vexfs-1-pool1-abc"]
    assert not os.path.exists(pool.directory)
    assert sorted(os.listdir(tmp_path)) == ["avocado-vexfs-2-pool0-x"]
    assert pool.teardown() == []


@pytest.mark.parametrize("value", ["12", "x:/tmp/p", "12:relative/dir", ":/tmp/p"])
def test_a_bad_pool_variable_is_one_line(value):
    with pytest.raises(ConfigError, match=f"{pool_mod.POOL_ENV}=.*expected <job pid>"):
        pool_mod.Pool.from_env_value(value)


def test_no_pool_outside_a_job(tmp_path):
    assert pool_mod.Pool.from_env_value("") is None
    assert pool_mod.Pool.from_env_value(f"5:{tmp_path}/gone") is None
    found = pool_mod.Pool.from_env_value(f"5:{tmp_path}")
    assert (found.owner_pid, found.directory) == (5, str(tmp_path))
