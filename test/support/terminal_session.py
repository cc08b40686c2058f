"""Runs a command on a pseudo-terminal for tests: waits for each expected prompt, then types its
answer. Prints the whole terminal output as JSON. Usage: terminal_session.py '<json spec>' where the spec is
{"argv": [...], "env": {...}, "dialogue": [[prompt, answer], ...]}."""
import json, os, pty, sys, time

spec = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execvpe(spec["argv"][0], spec["argv"], dict(os.environ, **spec["env"]))

output = b""
def read(until=None, timeout=60.0):
    global output
    end = time.time() + timeout
    while time.time() < end and (until is None or until not in output):
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            return
        if not chunk:
            return
        output += chunk

for prompt, answer in spec["dialogue"]:
    read(prompt.encode())
    os.write(fd, answer.encode() + b"\r")
read()
_, status = os.waitpid(pid, 0)
print(json.dumps({"output": output.decode("utf-8", "replace"), "exitCode": os.waitstatus_to_exitcode(status)}))
