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
  private reload: Promise<void> | undefined;
  /** A server certificate was refused: the folders are read again before the next attempt. */
  private untrusted = false;

  constructor(dataDir: string) {
    this.manager = new OPCUACertificateManager({
      rootFolder: join(dataDir, 'pki', 'opcua'),
      automaticallyAcceptUnknownCertificate: false,
    });
    // Clients take and release references; keep ours so a client's disconnect never disposes it.
    this.manager.referenceCounter++;
  }

  /**
   * Creates the folder tree once, before the first client uses it (no concurrent initialize).
   * After a refused server certificate it also re-reads the trust folders: node-opcua learns of a
   * certificate moved to `trusted/certs` from file-system watchers, which miss a move made while
   * they are still starting (the certificate was then never trusted, however long one waited).
   */
  async init(): Promise<void> {
    this.ready ??= this.manager.initialize();
    await this.ready;
    if (this.untrusted) {
      this.untrusted = false;
      this.reload ??= this.manager.reloadCertificates().finally(() => (this.reload = undefined));
    }
    await this.reload;
  }

  /** Called when a connection failed on an untrusted server certificate. */
  serverRefused(): void {
    this.untrusted = true;
  }

  async dispose(): Promise<void> {
    this.manager.referenceCounter = 0;
    await this.manager.dispose().catch(() => undefined);
  }
}
