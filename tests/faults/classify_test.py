#!/usr/bin/python3
"""tools/faults/classify.py on the shell's own words: every text below was copied from a real
trial's transcript (a campaign's logs/ID.log, `faults replay` or the worker by hand) on this
image, so the parsers are tested against what the guest prints, not against a guess of it."""
import os
import sys
import unittest

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SOURCE, "tools", "faults"))
import classify  # noqa: E402

STORM = "dfdf46fd69756287"  # golden digests: storm 8 rounds, pipeline and pingpong 32, seed 1
PIPELINE = "42d48ae148c5cb48"
PINGPONG = "8cd88206941da231"
RAMFS = "cef9e3d87e391ff5"
HEADER = (" SEQ      TIME(us)  TASK         KIND     WHERE                         CR2          "
          "       CELL        STEP               OUTCOME        TOOK(us)")

# known.toml's not_activated: the descriptor in rodata, read only when the cell was linked.
BITFLIP_PROOF = """inject: bitflip in cell wl_storm, rodata, seed 1
  address 0xffffffff90031000 <wl_storm:keel_cell_descriptor_+0x0>
  old 43
  new 41
  watch read/write 0xffffffff90031000, 1 byte"""
STORM_DONE = "workload storm seed 1 rounds 8: digest dfdf46fd69756287"
NOT_ACTIVATED_STATUS = BITFLIP_PROOF + "\n  not activated"
NO_FAULTS = "no faults"

# known.toml's recovered by a restart: the first allocation fails, the fail-stop workload faults.
ALLOC_PROOF = """inject: alloc in cell wl_storm, allocation 1 from now fails, seed 0
  counts allocations whose call chain returns into text 0xffffffff90030000..0xffffffff90031000"""
ALLOC_WORKLOAD = """workload storm: restarted 1 time
workload storm seed 1 rounds 8: digest dfdf46fd69756287"""
ALLOC_STATUS = ALLOC_PROOF + """
  1 allocation by the cell seen
  activated at 371349754 ns by task 53 'wl_storm': allocation failed, caller \
0xffffffff90030295 <wl_storm:wl_storm_main+0x295>"""
ALLOC_FAULTS = HEADER + """
   1        371847  53 wl_storm  #UD(6)   wl_storm:wl_storm_main+0x4f3  0x0000000000000000  \
wl_storm@1  ended              ok              568.442
   2        371847  53 wl_storm  #UD(6)   wl_storm:wl_storm_main+0x4f3  0x0000000000000000  \
wl_storm@1  restart            ok              950.027"""

# known.toml's recovered by a reload: the entry is ud2; the restart faults again, reload_cell.
EXCEPTION_PROOF = """inject: exception in cell wl_storm, text, seed 0
  address 0xffffffff90030000 <wl_storm:wl_storm_main+0x0>
  old 55 48
  new 0f 0b
  watch execute 0xffffffff90030000, 1 byte"""
EXCEPTION_WORKLOAD = """workload storm: restarted 2 times
workload storm seed 1 rounds 8: digest dfdf46fd69756287"""
EXCEPTION_STATUS = EXCEPTION_PROOF + """
  activated at 195567247 ns by task 53 'wl_storm', rip 0xffffffff90030000"""
EXCEPTION_FAULTS = """ SEQ      TIME(us)  TASK         \
KIND     WHERE                       CR2        \
         CELL        STEP               OUTCOME        TOOK(us)
   1        195715  53 wl_storm  #UD(6)   wl_storm:wl_storm_main+0x0  0x0000000000000000  \
wl_storm@1  ended              ok             2202.663
   2        195715  53 wl_storm  #UD(6)   wl_storm:wl_storm_main+0x0  0x0000000000000000  \
wl_storm@1  restart            ok             2576.418
   3        199179  54 wl_storm  #UD(6)   wl_storm:wl_storm_main+0x0  0x0000000000000000  \
wl_storm@1  ended              ok               18.711
   4        199179  54 wl_storm  #UD(6)   wl_storm:wl_storm_main+0x0  0x0000000000000000  \
wl_storm@1  restart            ok               62.594
   5        199179  54 wl_storm  #UD(6)   wl_storm:wl_storm_main+0x0  0x0000000000000000  \
wl_storm@1  reload_cell        ok             3136.326"""

# known.toml's sdc: a bit of the pipeline's salt flipped; the digest is wrong, nothing faulted.
SALT_PROOF = """inject: bitflip in cell wl_pipeline, rodata, seed 3
  address 0xffffffff9002f0fd <wl_pipeline:pipe_salt+0x5>
  old f4
  new f6
  watch read/write 0xffffffff9002f0fd, 1 byte"""
SALT_WORKLOAD = "workload pipeline seed 1 rounds 32: digest ded1a92ba8ddd618"
SALT_STATUS = SALT_PROOF + """
  activated at 300609472 ns by task 54 'wl_pipeline.stage', rip 0xffffffff9002e7bc"""

# known.toml's masked: the third message held 20 ms (a console line, then the golden digest).
DELAY_PROOF = """inject: ipc delay on cell wl_pingpong, send, message 3, seed 0, delay 20000 us
  armed: the hook counts matching calls from now on"""
DELAY_WORKLOAD = """[    0.185718] ipc fault: delay of send call 3 \
activated by task 53 'wl_pingpong'
workload pingpong seed 1 rounds 32: digest 8cd88206941da231"""
DELAY_STATUS = """inject: ipc delay on cell wl_pingpong, send, message 3, seed 0, delay 20000 us
  calls counted: 3
  activated at 185604612 ns by task 53 'wl_pingpong', channel 0xffff80000028ee80
  word 0xbbf4109183f3ab0d"""

# An IPC word corrupted: the pingpong notices, faults (fail-stop), the restart recovers it.
CORRUPT_WORKLOAD = """[    0.599108] ipc fault: corrupt of send call 2 activated by task 53 \
'wl_pingpong.partner'
[    0.600215] wl_pingpong: answer 1 corrupt or out of order
workload pingpong: restarted 1 time
workload pingpong seed 1 rounds 32: digest 8cd88206941da231"""
CORRUPT_STATUS = """inject: ipc corrupt on cell wl_pingpong, send, message 2, seed 4
  calls counted: 2
  activated at 598980415 ns by task 53 'wl_pingpong.partner', channel 0xffff800000257b50
  word 0x14b18c8ca601fcc2 -> 0x14b18c8ca601f8c2 (bit 10)"""
CORRUPT_FAULTS = """ SEQ      TIME(us)  TASK            KIND     WHERE                             \
  CR2                 CELL           STEP               OUTCOME        TOOK(us)
   1        600805  52 wl_pingpong  #UD(6)   wl_pingpong:wl_pingpong_main+0x3db  \
0x0000000000000000  wl_pingpong@1  ended              ok              300.678
   2        600805  52 wl_pingpong  #UD(6)   wl_pingpong:wl_pingpong_main+0x3db  \
0x0000000000000000  wl_pingpong@1  restart            ok              558.046"""

# A loop in the storm's entry: the CPU budget ends it twice, the reload recovers it.
LOOP_FAULTS = """ SEQ      TIME(us)  TASK         \
KIND              WHERE                       CR2 \
                CELL        STEP               OUTCOME        TOOK(us)
   1        453300  46 wl_storm  hang(cpu_budget)  wl_storm:wl_storm_main+0x0  \
0x0000000000000000  wl_storm@1  ended              ok              636.804
   2        453300  46 wl_storm  hang(cpu_budget)  wl_storm:wl_storm_main+0x0  \
0x0000000000000000  wl_storm@1  restart            ok              943.804
   3        705650  47 wl_storm  hang(cpu_budget)  wl_storm:wl_storm_main+0x0  \
0x0000000000000000  wl_storm@1  ended              ok               56.364
   4        705650  47 wl_storm  hang(cpu_budget)  wl_storm:wl_storm_main+0x0  \
0x0000000000000000  wl_storm@1  restart            ok              176.599
   5        705650  47 wl_storm  hang(cpu_budget)  wl_storm:wl_storm_main+0x0  \
0x0000000000000000  wl_storm@1  reload_cell        ok             3154.379"""

# Detected but failed: the ramfs workload (no fail-stop) reports the failed allocation.
RAMFS_FAILED = "workload ramfs: failed: out of memory\nkeel: workload: exit status 1"
RAMFS_STATUS = """inject: alloc in cell wl_ramfs, allocation 1 from now fails, seed 0
  counts allocations whose call chain returns into text 0xffffffff9002b000..0xffffffff9002c000
  1 allocation by the cell seen
  activated at 135854020 ns by task 46 'wl_ramfs': allocation failed, caller \
0xffffffff9002b1a0 <wl_ramfs:wl_ramfs_main+0x1a0>"""

# The ladder climbing to give_up (fbvictim under faultbench, recovery_tests.py), a failed rung
# (reload_dependents KE_TIMEDOUT) on the way; the workload line is the one workload.c prints then.
GIVE_UP_FAULTS = """ SEQ      TIME(us)  TASK         \
KIND     WHERE                       CR2        \
         CELL        STEP               OUTCOME        TOOK(us)
   1        764967  47 fbvictim  #PF(14)  fbvictim:fbvictim_run+0x21  0x0000000000000000  \
fbvictim@1  ended              ok              567.524
   2        764967  47 fbvictim  #PF(14)  fbvictim:fbvictim_run+0x21  0x0000000000000000  \
fbvictim@1  restart            ok              872.995
   3        776403  51 fbvictim  #PF(14)  fbvictim:fbvictim_run+0x21  0x0000000000000000  \
fbvictim@1  ended              ok               20.544
   4        776403  51 fbvictim  #PF(14)  fbvictim:fbvictim_run+0x21  0x0000000000000000  \
fbvictim@1  restart            ok               46.386
   5        776403  51 fbvictim  #PF(14)  fbvictim:fbvictim_run+0x21  0x0000000000000000  \
fbvictim@1  reload_cell        ok             3336.005
   6        779817  52 fbvictim  #PF(14)  fbvictim:fbvictim_run+0x21  0x0000000000000000  \
fbvictim@1  ended              ok               15.776
   7        779817  52 fbvictim  #PF(14)  fbvictim:fbvictim_run+0x21  0x0000000000000000  \
fbvictim@1  restart            ok               56.834
   8        779817  52 fbvictim  #PF(14)  fbvictim:fbvictim_run+0x21  0x0000000000000000  \
fbvictim@1  reload_dependents  KE_TIMEDOUT  502602.410
   9       1297783  56 fbvictim  #PF(14)  fbvictim:fbvictim_run+0x21  0x0000000000000000  \
fbvictim@1  ended              ok               21.914
  10       1297783  56 fbvictim  #PF(14)  fbvictim:fbvictim_run+0x21  0x0000000000000000  \
fbvictim@1  restart            ok               49.356
  11       1297783  56 fbvictim  #PF(14)  fbvictim:fbvictim_run+0x21  0x0000000000000000  \
fbvictim@1  give_up            ok              586.959"""
GAVE_UP_WORKLOAD = ("workload storm: faulted at wl_storm:wl_storm_main+0x0 (gave up after 1 "
                    "restarts)\nkeel: workload: exit status 1")
REFUSED = "inject: no cell 'wl_nosuch' is loaded (KE_NOENT)\nkeel: inject: exit status 1"


def outcome(kind, workload, faults, golden, activated, **kw):
    return classify.classify(kind, workload, classify.fault_rows(faults), golden, activated, **kw)


class Outcomes(unittest.TestCase):
    def test_no_effect(self):
        self.assertEqual(outcome("control", STORM_DONE, NO_FAULTS, STORM, None),
                         ("no_effect", "", STORM, "workload done"))

    def test_not_activated(self):
        act = classify.activation(NOT_ACTIVATED_STATUS)[0]
        self.assertEqual(outcome("fault", STORM_DONE, NO_FAULTS, STORM, act),
                         ("not_activated", "", STORM, "workload done"))

    def test_masked(self):
        act = classify.activation(DELAY_STATUS)[0]
        self.assertEqual(outcome("fault", DELAY_WORKLOAD, NO_FAULTS, PINGPONG, act),
                         ("masked", "", PINGPONG, "workload done"))

    def test_recovered_by_restart(self):
        self.assertEqual(outcome("fault", ALLOC_WORKLOAD, ALLOC_FAULTS, STORM, True),
                         ("recovered", "restart", STORM, "workload done"))
        self.assertEqual(outcome("fault", CORRUPT_WORKLOAD, CORRUPT_FAULTS, PINGPONG, True),
                         ("recovered", "restart", PINGPONG, "workload done"))

    def test_recovered_by_reload(self):
        self.assertEqual(outcome("fault", EXCEPTION_WORKLOAD, EXCEPTION_FAULTS, STORM, True),
                         ("recovered", "reload_cell", STORM, "workload done"))
        self.assertEqual(outcome("fault", EXCEPTION_WORKLOAD, LOOP_FAULTS, STORM, True)[:2],
                         ("recovered", "reload_cell"))

    def test_detected_failed(self):
        # The workload said it failed; no fault logged; no digest.
        act = classify.activation(RAMFS_STATUS)[0]
        self.assertEqual(outcome("fault", RAMFS_FAILED, NO_FAULTS, RAMFS, act),
                         ("detected_failed", "", "", "workload ramfs: failed: out of memory"))
        # The ladder gave up.
        self.assertEqual(outcome("fault", GAVE_UP_WORKLOAD, GIVE_UP_FAULTS, STORM, True)[:2],
                         ("detected_failed", "give_up"))
        # Faults logged and recovered by the ladder, but the digest is wrong: failed.
        wrong = ALLOC_WORKLOAD.replace(STORM, "0123456789abcdef")
        self.assertEqual(outcome("fault", wrong, ALLOC_FAULTS, STORM, True),
                         ("detected_failed", "", "0123456789abcdef", "workload done"))
        # Every error line of workload.c counts as detected.
        for line in ("workload storm: hung (CPU budget limit 250000 us) at "
                     "wl_storm:wl_storm_main+0x0 (gave up after 2 restarts)",
                     "workload storm: killed", "workload storm: waiting: KE_TIMEDOUT",
                     "workload storm: left 64 bytes on the heap"):
            with self.subTest(line=line):
                self.assertEqual(outcome("fault", line, NO_FAULTS, STORM, True)[0],
                                 "detected_failed")

    def test_sdc(self):
        act = classify.activation(SALT_STATUS)[0]
        self.assertEqual(outcome("fault", SALT_WORKLOAD, NO_FAULTS, PIPELINE, act),
                         ("sdc", "", "ded1a92ba8ddd618", "workload done"))
        # A control with a wrong digest is sdc too (and makes the campaign invalid).
        self.assertEqual(outcome("control", SALT_WORKLOAD, NO_FAULTS, PIPELINE, None)[0], "sdc")
        # No digest at all and nothing said: sdc, "no digest".
        self.assertEqual(outcome("fault", "", NO_FAULTS, STORM, True),
                         ("sdc", "", "", "no digest"))

    def test_hang_and_crash_win(self):
        # The hang of known.toml: the workload line never came back (the runner's timeout).
        self.assertEqual(outcome("fault", "", "", PIPELINE, None, hung=True),
                         ("hang", "", "", "timeout"))
        self.assertEqual(outcome("fault", STORM_DONE, ALLOC_FAULTS, STORM, True, crashed=True),
                         ("crash", "", "", "crash"))
        self.assertEqual(outcome("control", "", "", STORM, None, crashed=True, hung=True)[0],
                         "crash")


class Parsers(unittest.TestCase):
    def test_proof_of_code_faults(self):
        self.assertEqual(classify.proof(BITFLIP_PROOF),
                         {"region": "rodata", "address": 0xffffffff90031000,
                          "symbol": "keel_cell_descriptor_", "offset": 0, "old": "43",
                          "new": "41"})
        self.assertEqual(classify.proof(SALT_PROOF),
                         {"region": "rodata", "address": 0xffffffff9002f0fd, "symbol": "pipe_salt",
                          "offset": 5, "old": "f4", "new": "f6"})
        self.assertEqual(classify.proof(EXCEPTION_PROOF),
                         {"region": "text", "address": 0xffffffff90030000,
                          "symbol": "wl_storm_main", "offset": 0, "old": "55 48", "new": "0f 0b"})

    def test_proof_of_alloc_and_ipc_faults(self):
        empty = {"region": "", "address": None, "symbol": "", "offset": None, "old": "",
                 "new": ""}
        self.assertEqual(classify.proof(ALLOC_PROOF), empty)
        self.assertEqual(classify.proof(DELAY_PROOF), empty)

    def test_refused_inject_has_no_proof(self):
        self.assertIsNone(classify.proof(REFUSED))
        self.assertIsNone(classify.proof(""))

    def test_activation(self):
        self.assertEqual(classify.activation(NOT_ACTIVATED_STATUS), (False, None, {}))
        self.assertEqual(classify.activation(""), (False, None, {}))
        self.assertEqual(classify.activation(EXCEPTION_STATUS), (True, 195567247, {}))
        self.assertEqual(classify.activation(ALLOC_STATUS),
                         (True, 371349754, {"symbol": "wl_storm_main", "offset": 0x295}))
        self.assertEqual(classify.activation(CORRUPT_STATUS),
                         (True, 598980415, {"old": "14b18c8ca601fcc2", "new": "14b18c8ca601f8c2"}))
        self.assertEqual(classify.activation(DELAY_STATUS), (True, 185604612, {}))

    def test_fault_rows(self):
        self.assertEqual(classify.fault_rows(NO_FAULTS), [])
        rows = classify.fault_rows(EXCEPTION_FAULTS)
        self.assertEqual([r["seq"] for r in rows], [1, 2, 3, 4, 5])
        self.assertEqual([r["step"] for r in rows],
                         ["ended", "restart", "ended", "restart", "reload_cell"])
        self.assertEqual(rows[0], {"seq": 1, "time_us": 195715, "kind": "#UD(6)",
                                   "where": "wl_storm:wl_storm_main+0x0", "cell": "wl_storm@1",
                                   "step": "ended", "outcome": "ok", "took_us": 2202.663})
        self.assertEqual([r["kind"] for r in classify.fault_rows(LOOP_FAULTS)],
                         ["hang(cpu_budget)"] * 5)
        give_up = classify.fault_rows(GIVE_UP_FAULTS)
        self.assertEqual(len(give_up), 11)
        self.assertEqual((give_up[7]["step"], give_up[7]["outcome"], give_up[7]["took_us"]),
                         ("reload_dependents", "KE_TIMEDOUT", 502602.41))
        self.assertEqual(give_up[10]["time_us"], 1297783)
        # Lines around the table (console lines, the header) are not rows.
        self.assertEqual(classify.fault_rows(CORRUPT_WORKLOAD + "\n" + HEADER), [])

    def test_recovery_us(self):
        # Fault taken -> the end of the last ladder step: first row's time to last step's end.
        self.assertEqual(classify.recovery_us(classify.fault_rows(ALLOC_FAULTS)), 950.027)
        self.assertEqual(classify.recovery_us(classify.fault_rows(EXCEPTION_FAULTS)), 6600.326)
        self.assertEqual(classify.recovery_us(classify.fault_rows(LOOP_FAULTS)), 255504.379)
        # give_up is no ladder step of recovery: the last one is the restart just before it.
        self.assertEqual(classify.recovery_us(classify.fault_rows(GIVE_UP_FAULTS)), 532865.356)
        self.assertIsNone(classify.recovery_us([]))
        ended_only = classify.fault_rows(ALLOC_FAULTS.rsplit("\n", 1)[0])
        self.assertEqual(len(ended_only), 1)
        self.assertIsNone(classify.recovery_us(ended_only))


if __name__ == "__main__":
    unittest.main()
