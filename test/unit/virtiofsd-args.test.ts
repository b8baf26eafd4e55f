// The virtiofsd command line run builds: KubeVirt's options, unprivileged (--sandbox none), read-only for a read-only claim.
import test from 'ava';
import { virtiofsdArgs } from '../../launcher/run/virtiofsd-process.js';

const share = (readOnly: boolean) => ({
  socketPath: '/run/vml/virtiofs/data.sock', dir: '/vols/data',
  share: { name: 'data', volumeName: 'data', field: 'spec.domain.devices.filesystems[0]', claimName: 'c', readOnly },
});

test('virtiofsd: socket, shared dir, --sandbox none, --cache auto; --readonly only for a read-only claim', (t) => {
  t.deepEqual(virtiofsdArgs(share(false)), ['--socket-path', '/run/vml/virtiofs/data.sock', '--shared-dir', '/vols/data', '--sandbox', 'none', '--cache', 'auto']);
  t.deepEqual(virtiofsdArgs(share(true)).slice(-1), ['--readonly']);
});
