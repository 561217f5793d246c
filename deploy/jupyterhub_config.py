"""JupyterHub for a workshop of this course on one machine: `make hub` starts it.

Everything a room needs is here: a login with one shared workshop password (JupyterHub's
SharedPasswordAuthenticator: any name, the room's password), a JupyterLab per learner with
a copy of the lessons and exercises that opens on the first lesson (deploy/course_spawner.py),
memory and CPU limits per learner, one compute thread per kernel, and the idle culler (a
server nobody used for LRCOURSE_HUB_IDLE seconds is stopped; the learner's files stay).

Settings come from the environment (the Makefile passes them):

    LRCOURSE_HUB_PASSWORD   the workshop password (8 characters or more; without it one is
                            made, kept in the state folder and printed at start)
    LRCOURSE_HUB_IP         127.0.0.1 (default: this machine only) or 0.0.0.0 (the room)
    LRCOURSE_HUB_PORT       8000
    LRCOURSE_HUB_STATE      where the hub keeps its database, cookie secret and the learners'
                            folders (default deploy/run/ in the repository; git ignores it)
    LRCOURSE_HUB_MEMORY     memory per learner, e.g. 1G (default)
    LRCOURSE_HUB_CPUS       CPUs per learner, e.g. 1.0 (default)
    LRCOURSE_HUB_IDLE       seconds of inactivity before a server is stopped (default 3600)
    LRCOURSE_HUB_ADMIN      a learner name that gets the admin page (optional)

Behind a public address put a TLS-terminating proxy in front (or use The Littlest
JupyterHub, which does it for you): this configuration serves plain HTTP.
"""

import os
import secrets
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from course_spawner import CourseSpawner  # noqa: E402

c = get_config()  # noqa: F821  (JupyterHub's config loader defines it)

state = Path(os.environ.get("LRCOURSE_HUB_STATE", HERE / "run")).resolve()
state.mkdir(parents=True, exist_ok=True)
venv = Path(sys.executable).parent          # the learners' servers run from the hub's environment

c.JupyterHub.ip = os.environ.get("LRCOURSE_HUB_IP", "127.0.0.1")
c.JupyterHub.port = int(os.environ.get("LRCOURSE_HUB_PORT", "8000"))
# The hub's own API and the proxy's API listen next to the public port (port + 1, port + 2), so
# two hubs on different ports (a test beside a workshop) do not collide.
port = c.JupyterHub.port
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = port + 1
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{port + 2}"
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
proxy = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
c.ConfigurableHTTPProxy.command = [str(proxy) if proxy.exists() else (shutil.which("configurable-http-proxy")
                                                                       or "configurable-http-proxy")]
# Stop every learner's server with the hub (make hub's Ctrl-C leaves nothing running).
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

# Login: any name with the workshop's password. Without LRCOURSE_HUB_PASSWORD, one is made
# once, kept in the state folder (readable by this account only) and printed at every start.
password = os.environ.get("LRCOURSE_HUB_PASSWORD", "")
if not password:
    kept = state / "workshop-password"
    if not kept.exists():
        kept.touch(mode=0o600)
        kept.write_text(secrets.token_urlsafe(9) + "\n")
    password = kept.read_text().strip()
    print(f"[lrcourse hub] workshop password: {password}   (kept in {kept}; set LRCOURSE_HUB_PASSWORD to "
          "choose one)", file=sys.stderr, flush=True)
print(f"[lrcourse hub] open http://{os.environ.get('LRCOURSE_HUB_IP', '127.0.0.1')}:"
      f"{os.environ.get('LRCOURSE_HUB_PORT', '8000')}/ and log in with any name and the workshop password",
      file=sys.stderr, flush=True)
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = password
c.Authenticator.allow_all = True
c.Authenticator.username_pattern = r"^[a-z0-9][a-z0-9_.-]{0,31}$"
if os.environ.get("LRCOURSE_HUB_ADMIN"):
    c.Authenticator.admin_users = {os.environ["LRCOURSE_HUB_ADMIN"]}

# One JupyterLab per learner, a copy of the course in its folder, the first lesson first.
c.JupyterHub.spawner_class = CourseSpawner
c.CourseSpawner.home_dir_template = str(state / "learners" / "{username}")
c.Spawner.cmd = [str(venv / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab/tree/notebooks/00_start_here.ipynb"
# No terminals (a learner's shell would run as the hub's account); JupyterLab refuses to run as
# root (a container, a CI machine) unless told.
# (The spawner's quiet_lab settings keep JupyterLab from asking each learner about its news feed.)
c.Spawner.args = ["--ServerApp.terminals_enabled=False"] + \
    (["--allow-root"] if os.geteuid() == 0 else [])
c.Spawner.mem_limit = os.environ.get("LRCOURSE_HUB_MEMORY", "1G")
c.Spawner.cpu_limit = float(os.environ.get("LRCOURSE_HUB_CPUS", "1.0"))
c.Spawner.environment = {"LRCOURSE_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                         "OPENBLAS_NUM_THREADS": "1"}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120

# The idle culler: a JupyterHub service (package jupyterhub-idle-culler).
idle = int(os.environ.get("LRCOURSE_HUB_IDLE", "3600"))
c.JupyterHub.services = [{"name": "idle-culler",
                          "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={idle}",
                                      f"--cull-every={max(10, min(300, idle // 4))}"]}]
c.JupyterHub.load_roles = [{"name": "idle-culler", "services": ["idle-culler"],
                            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]}]
