/**
 * The client's PKI: one OPCUACertificateManager per connector under `${dataDir}/pki/opcua`
 * (the default under ~/.config breaks on read-only homes, node-opcua #1103). node-opcua creates the
 * self-signed client certificate there on first connect (own/certs/client_certificate.pem).
 * Security is None + anonymous for now; server certificates are not auto-trusted.
 */
import { join } from 'node:path';
import { OPCUACertificateManager } from 'node-opcua';

export class Pki {
  readonly manager: OPCUACertificateManager;
  private ready: Promise<void> | undefined;

  constructor(dataDir: string) {
    this.manager = new OPCUACertificateManager({
      rootFolder: join(dataDir, 'pki', 'opcua'),
      automaticallyAcceptUnknownCertificate: false,
    });
    // Clients take and release references; keep ours so a client's disconnect never disposes it.
    this.manager.referenceCounter++;
  }

  /** Creates the folder tree once, before the first client uses it (no concurrent initialize). */
  init(): Promise<void> {
    this.ready ??= this.manager.initialize();
    return this.ready;
  }

  async dispose(): Promise<void> {
    this.manager.referenceCounter = 0;
    await this.manager.dispose().catch(() => undefined);
  }
}
