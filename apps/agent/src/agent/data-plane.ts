import { type NetDevice, type OpenTapOptions, type OpenTunOptions, openTap, openTun } from '@rtcmesh/netdev';
import {
  type Binding,
  DEFAULT_L2_SETTINGS,
  type L2Settings,
  type PeerInfo,
  type Route,
  type Welcome,
} from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import type { Forwarder, ForwarderEvents, ReceiveFilter } from '../forward/forwarder.js';
import { L2Forwarder } from '../forward/l2-forwarder.js';
import { L3Forwarder } from '../forward/l3-forwarder.js';
import { ExitNat } from '../routes/exit-nat.js';
import { type DeviceHealth, DeviceSupervisor, type DeviceSupervisorOptions } from './device-supervisor.js';

/** Opens the overlay device (a seam for tests: the Agent's unit tests use a fake device). */
export interface DeviceOpener {
  openTap(o: OpenTapOptions): Promise<NetDevice>;
  openTun(o: OpenTunOptions): Promise<NetDevice>;
}

export interface DataPlaneOptions {
  welcome: Welcome;
  /** `--dev`, `--bridge`, `--mtu`, `--no-address`, `--no-offload`, `--advertise-exit-node`. */
  device: string;
  bridge?: string | undefined;
  mtu?: number | undefined;
  assignAddress: boolean;
  offload?: boolean | undefined;
  advertiseExitNode: boolean;
  /** L3: the prefixes this node routes for others; L2: the seq of its own binding. */
  ownRoutes: readonly Route[];
  bindingSeq: number;
  /** The access policy on what peers send. */
  receiveFilter: ReceiveFilter;
  /** A frame for a peer's link; false when the link dropped it. */
  toPeer: (peerId: string, frame: Buffer) => boolean;
  events: ForwarderEvents;
  /** The device failed and is open again / could not be (device-supervisor.ts). */
  onDeviceReopened: (device: NetDevice) => void;
  onDeviceFailed: (error: Error) => void;
  logger: Logger;
  devices?: DeviceOpener | undefined;
  deviceCheck?: Pick<DeviceSupervisorOptions, 'ifindex' | 'retryDelaysMs' | 'checkIntervalMs'> | undefined;
}

/**
 * The agent's data plane: the TAP/TUN (kept alive by the DeviceSupervisor), the forwarding engine
 * between it and the peer links (an L2 switch or an L3 router), the exit node's NAT, and what the
 * admin sets for the switch. The agent tells it about peers and their links; it tells the agent
 * nothing but what the forwarder's events say.
 */
export class DataPlane {
  private l2: L2Settings | undefined;

  private constructor(
    readonly forwarder: Forwarder,
    private readonly supervisor: DeviceSupervisor,
    private readonly exitNat: ExitNat | undefined,
    private current: NetDevice,
    private readonly log: Logger,
  ) {}

  static async open(o: DataPlaneOptions): Promise<DataPlane> {
    const w = o.welcome;
    const log = o.logger;
    const mtu = o.mtu ?? w.network.mtu;
    const addresses = o.assignAddress
      ? w.network.mode === 'l3'
        ? w.self.addresses.map((a) => `${a.slice(0, a.indexOf('/'))}/${a.includes(':') ? 128 : 32}`)
        : w.self.addresses
      : [];
    const offload = o.offload === false ? { offload: false, coalesce: false } : {};
    const devices = o.devices ?? { openTap, openTun };
    let plane: DataPlane | undefined;
    const supervisor = new DeviceSupervisor({
      name: o.device,
      open: () =>
        w.network.mode === 'l2'
          ? devices.openTap({
              name: o.device,
              mtu,
              mac: w.self.mac,
              addresses,
              ...(o.bridge ? { bridge: o.bridge } : {}),
              ...offload,
            })
          : devices.openTun({
              name: o.device,
              mtu,
              addresses,
              // Dual stack: the overlay's IPv6 prefix points into the TUN too.
              routes: [w.network.cidr, ...(w.network.cidr6 ? [w.network.cidr6] : [])],
              ...offload,
            }),
      onFrames: (frames) => plane?.forwarder.fromDevice(frames),
      onReopened: (d) => {
        if (plane) plane.current = d;
        o.onDeviceReopened(d);
      },
      onFailed: o.onDeviceFailed,
      logger: log.child({ component: 'device' }),
      ...(o.deviceCheck ?? {}),
    });
    const device = await supervisor.start();
    log.info(
      {
        device: device.name,
        mode: w.network.mode,
        mtu,
        addresses,
        offloads: device.offloads,
        coalescing: device.coalescing,
      },
      'device up',
    );
    const sink = {
      toDevice: (frame: Buffer) => plane?.current.write(frame) ?? false,
      toPeer: o.toPeer,
    };
    const forwarder =
      w.network.mode === 'l2'
        ? new L2Forwarder(
            sink,
            o.assignAddress
              ? {
                  mac: w.self.mac,
                  ips: w.self.addresses.map((a) => a.slice(0, a.indexOf('/'))),
                  seq: o.bindingSeq,
                }
              : null,
            o.events,
          )
        : new L3Forwarder(sink, { addresses: w.self.addresses, routes: [...o.ownRoutes] });
    forwarder.setReceiveFilter(o.receiveFilter);
    let exitNat: ExitNat | undefined;
    if (o.advertiseExitNode && w.network.mode === 'l3') {
      exitNat = new ExitNat({
        device: device.name,
        networkCidr: w.network.cidr,
        logger: log.child({ component: 'exit' }),
      });
      await exitNat.start();
    }
    plane = new DataPlane(forwarder, supervisor, exitNat, device, log);
    plane.applyL2Settings(w.network);
    return plane;
  }

  get device(): NetDevice {
    return this.current;
  }

  get deviceHealth(): DeviceHealth {
    return this.supervisor.health;
  }

  get offersExit(): boolean {
    return this.exitNat !== undefined;
  }

  /** L2: what the switch enforces now (undefined in L3). */
  get l2Settings(): L2Settings | undefined {
    return this.l2;
  }

  /** New information about a peer, and whether its link is up now (frames go only to live links). */
  updatePeer(p: PeerInfo, linkUp: boolean): void {
    this.forwarder.updatePeer(p);
    this.forwarder.setLinkState(p.nodeId, linkUp, Date.now());
  }

  /** The admin's storm control and DHCP filtering (defaults when the network has none). */
  applyL2Settings(network: Welcome['network']): void {
    if (!(this.forwarder instanceof L2Forwarder)) return;
    const s = network.l2 ?? DEFAULT_L2_SETTINGS;
    if (this.l2 && JSON.stringify(this.l2) === JSON.stringify(s)) return;
    this.l2 = s;
    this.forwarder.applySettings(s);
    this.log.info({ ...s }, 'L2 settings applied');
  }

  /** L3: `rtcmesh set --advertise-routes`. */
  setOwnRoutes(own: readonly Route[]): void {
    if (this.forwarder instanceof L3Forwarder) this.forwarder.setOwnRoutes(own);
  }

  /** L2: the bindings to advertise; L3: none (routes come from the agent's settings). */
  localBindings(): Binding[] {
    return this.forwarder.localBindings();
  }

  /** L3: prefixes several nodes advertise, with the one forwarding now (names from `name`). */
  routeChoices(name: (id: string) => string): { prefix: string; primary: string; standby: string[] }[] {
    if (!(this.forwarder instanceof L3Forwarder)) return [];
    return this.forwarder
      .routeChoices()
      .map((c) => ({ prefix: c.prefix, primary: name(c.primary), standby: c.standby.map(name) }));
  }

  /** The exit NAT comes off, then the device (peers' routes go with it). */
  async close(): Promise<void> {
    await this.exitNat?.stop();
    await this.supervisor.close();
  }
}
