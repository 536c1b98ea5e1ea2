"""Drives kubesim with the official Kubernetes Python client (Debian's python3-kubernetes).

Run by test/integration/kubesim.python.test.ts as
    /usr/bin/python3 kubesim_client.py KUBECONFIG SCENARIO [ARGS...]
Each scenario uses the client the way its documentation shows and prints what it saw as one JSON
object per line on stdout; the test judges it. Any exception ends the run with a traceback and a
non-zero exit, which fails the test. Nothing here adapts the client to kubesim.
"""
import json
import sys
import time

from kubernetes import client, config, watch
from kubernetes.stream import portforward, stream

DEADLINE_S = 20


def emit(**fields):
    print(json.dumps(fields), flush=True)


def api_for(kubeconfig):
    config.load_kube_config(config_file=kubeconfig)
    return client.CoreV1Api()


def scenario_exec(api, pod, namespace):
    # The documented one-shot form: the client sends stdin=False&stdout=True&stderr=True&tty=False
    # (Python's spellings of booleans) and collects the output.
    plain = stream(api.connect_get_namespaced_pod_exec, pod, namespace,
                   command=['sh', '-c', 'echo plain-out; echo plain-err >&2'],
                   stderr=True, stdin=False, stdout=True, tty=False)
    emit(step='plain', output=plain)

    # The interactive form, over v4.channel.k8s.io: write to stdin, read it back, then the exit code
    # from the error channel's Status (v4 has no way to close stdin, so the command reads one line).
    resp = stream(api.connect_get_namespaced_pod_exec, pod, namespace,
                  command=['sh', '-c', 'read line; echo "got:$line"; echo "to-stderr" >&2; exit 3'],
                  stderr=True, stdin=True, stdout=True, tty=False, _preload_content=False)
    protocol = resp.sock.getheaders().get('sec-websocket-protocol')
    resp.write_stdin('hello from python\n')
    stdout, stderr = '', ''
    deadline = time.monotonic() + DEADLINE_S
    while resp.is_open() and time.monotonic() < deadline:
        resp.update(timeout=1)
        stdout += resp.read_stdout(timeout=0) or ''
        stderr += resp.read_stderr(timeout=0) or ''
    emit(step='interactive', protocol=protocol, open=resp.is_open(), stdout=stdout, stderr=stderr,
         returncode=resp.returncode)


def scenario_list(api, namespace):
    everything = [p.metadata.name for p in api.list_namespaced_pod(namespace).items]
    selected = [p.metadata.name for p in api.list_namespaced_pod(namespace, label_selector='app=web').items]
    # Pages of two, following the continue token (the client sends limit=2).
    paged, token, pages = [], None, 0
    while True:
        page = api.list_namespaced_pod(namespace, limit=2, _continue=token)
        pages += 1
        paged += [p.metadata.name for p in page.items]
        token = page.metadata._continue
        if not token:
            break
    emit(everything=everything, selected=selected, paged=paged, pages=pages)


def scenario_watch(api, namespace, label):
    # List, then watch from the list's resourceVersion (what the client's Watch does with
    # resource_version): whatever the test changes after "ready" is seen, however soon.
    listed = api.list_namespaced_pod(namespace, label_selector=label)
    emit(ready=listed.metadata.resource_version)
    w = watch.Watch()
    for event in w.stream(api.list_namespaced_pod, namespace, label_selector=label,
                          resource_version=listed.metadata.resource_version, timeout_seconds=DEADLINE_S):
        pod = event['object']
        emit(type=event['type'], name=pod.metadata.name, labels=pod.metadata.labels or {},
             deleting=pod.metadata.deletion_timestamp is not None)
        if event['type'] == 'DELETED':
            w.stop()
    emit(done=True)


def scenario_logs(api, pod, namespace):
    # logger-0 prints a numbered line a second: wait for a second line to exist.
    deadline = time.monotonic() + DEADLINE_S
    whole = api.read_namespaced_pod_log(pod, namespace)
    while whole.count('\n') < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
        whole = api.read_namespaced_pod_log(pod, namespace)
    emit(step='whole', text=whole)
    emit(step='limit', text=api.read_namespaced_pod_log(pod, namespace, limit_bytes=9))
    emit(step='tail', text=api.read_namespaced_pod_log(pod, namespace, tail_lines=1, timestamps=True))
    # follow=True, read as a stream: the last line, then one printed after the call.
    resp = api.read_namespaced_pod_log(pod, namespace, follow=True, tail_lines=1, _preload_content=False)
    lines, buffered = [], b''
    for chunk in resp.stream(amt=1024):
        buffered += chunk
        while b'\n' in buffered:
            line, buffered = buffered.split(b'\n', 1)
            lines.append(line.decode())
        if len(lines) >= 2:
            break
    resp.release_conn()
    emit(step='follow', lines=lines)


def scenario_portforward(api, pod, namespace, port):
    port = int(port)
    pf = portforward(api.connect_get_namespaced_pod_portforward, pod, namespace, ports=str(port))
    sock = pf.socket(port)
    sock.setblocking(True)
    sock.sendall(b'GET /from-python HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
    data = b''
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    sock.close()
    emit(response=data.decode(errors='replace'), error=pf.error(port))


def scenario_refusals(api, namespace):
    # What the API server answers for names and values the client passes through as given. The
    # client percent-encodes every path parameter (';' as %3B, '%' as %25, '/' as %2F).
    def answer(call):
        try:
            call()
            return {'status': 200}
        except client.ApiException as e:
            return {'status': e.status, 'body': json.loads(e.body)}
    emit(case='name a;b', **answer(lambda: api.read_namespaced_pod('a;b', namespace)))
    emit(case='name a%b', **answer(lambda: api.read_namespaced_pod('a%b', namespace)))
    emit(case='name a/b', **answer(lambda: api.read_namespaced_pod('a/b', namespace)))
    emit(case='limit abc', **answer(lambda: api.list_namespaced_pod(namespace, limit='abc')))
    emit(case='timeout 1.5', **answer(lambda: api.list_namespaced_pod(namespace, timeout_seconds='1.5')))
    # The options are decoded before the pod is looked up: a bad value is a 400 even for a pod
    # that does not exist (so no pod is deleted should the server accept it).
    emit(case='grace soon', **answer(lambda: api.delete_namespaced_pod('no-such-pod', namespace, grace_period_seconds='soon')))


def main():
    kubeconfig, name, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    api = api_for(kubeconfig)
    scenarios = {
        'exec': scenario_exec,
        'list': scenario_list,
        'watch': scenario_watch,
        'logs': scenario_logs,
        'portforward': scenario_portforward,
        'refusals': scenario_refusals,
    }
    scenarios[name](api, *args)


if __name__ == '__main__':
    main()
