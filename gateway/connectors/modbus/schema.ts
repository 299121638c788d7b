/**
 * Config schema of the Modbus connector: `device.connection` (Modbus TCP, RTU on a serial line, or
 * RTU over TCP) and `device.points[]`. Rules that span keys (which keys go with which transport)
 * are checked in config.ts. Transport keys carry no schema `default`: the loader fills defaults in,
 * and config.ts must see what the site actually wrote.
 */
import { Type, type Static } from '@sinclair/typebox';
import { BASE_POINT_FIELDS } from '../../core/connector.js';
import { reportKeys } from '../common/filter.js';
import { PARITIES } from './rtu.js';

export const MODBUS_TRANSPORTS = ['tcp', 'rtu', 'rtu-tcp'] as const;
export type ModbusTransport = (typeof MODBUS_TRANSPORTS)[number];
/** Baud rates RS-485 Modbus devices offer. */
export const BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] as const;
/** Keys that only describe a serial line. */
export const SERIAL_KEYS = ['serialPort', 'baudRate', 'parity', 'dataBits', 'stopBits'] as const;

export const ModbusConnection = Type.Object(
  {
    /** `tcp` (Modbus TCP), `rtu` (RTU on a local serial port) or `rtu-tcp` (RTU frames over TCP, serial device servers). */
    transport: Type.Optional(Type.Union(MODBUS_TRANSPORTS.map((t) => Type.Literal(t)), { description: 'default tcp' })),
    host: Type.Optional(Type.String({ minLength: 1, description: 'IP address or host name of the Modbus TCP server or serial device server' })),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'default 502' })),
    /** Serial device of an RS-485 adapter, `rtu` only: `/dev/ttyUSB0`, `/dev/ttyS1`, `/dev/serial/by-id/...`. */
    serialPort: Type.Optional(Type.String({ minLength: 1 })),
    /** Line speed, `rtu` and `rtu-tcp` (there it only sets the silence between frames). */
    baudRate: Type.Optional(Type.Union(BAUD_RATES.map((b) => Type.Literal(b)), { description: 'default 9600' })),
    parity: Type.Optional(Type.Union(PARITIES.map((p) => Type.Literal(p)), { description: 'default even' })),
    /** RTU characters have 8 data bits (7 is Modbus ASCII, which this connector does not speak). */
    dataBits: Type.Optional(Type.Integer({ minimum: 5, maximum: 8, description: 'default 8' })),
    stopBits: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2)], { description: 'default 1' })),
    unitId: Type.Integer({ minimum: 0, maximum: 255, default: 1 }),
    /** Poll interval in milliseconds. */
    pollInterval: Type.Integer({ minimum: 50, default: 1000 }),
    /** Per-request timeout in milliseconds. */
    timeout: Type.Integer({ minimum: 50, default: 1000 }),
    /**
     * Largest hole (registers or bits) between two points that is still read in one request.
     * Unused addresses inside a request are read and thrown away. 0 merges only touching points.
     */
    maxGap: Type.Optional(Type.Integer({ minimum: 0, maximum: 2000, default: 10 })),
    /** Most registers per FC3/FC4 request (Modbus allows 125; some devices accept fewer). */
    maxRegisters: Type.Optional(Type.Integer({ minimum: 1, maximum: 125, default: 125 })),
    /** Most bits per FC1/FC2 request (Modbus allows 2000). */
    maxBits: Type.Optional(Type.Integer({ minimum: 1, maximum: 2000, default: 2000 })),
    /** First reconnect delay in milliseconds; doubles per failure (with jitter) up to `reconnectMaxDelay`. */
    reconnectDelay: Type.Optional(Type.Integer({ minimum: 50, default: 1000 })),
    /** Longest reconnect delay in milliseconds. */
    reconnectMaxDelay: Type.Optional(Type.Integer({ minimum: 100, default: 30000 })),
  },
  { additionalProperties: false },
);
export type ModbusConnection = Static<typeof ModbusConnection>;

export const ModbusPoint = Type.Object(
  {
    // name, unit
    ...BASE_POINT_FIELDS,
    /** coil (FC1), discrete (FC2), holding (FC3), input (FC4). */
    table: Type.Union([Type.Literal('coil'), Type.Literal('discrete'), Type.Literal('holding'), Type.Literal('input')]),
    /** 0-based register or bit address. */
    address: Type.Integer({ minimum: 0, maximum: 65535 }),
    type: Type.Union(
      ['bool', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'].map((t) => Type.Literal(t)),
      { default: 'uint16' },
    ),
    /** Byte/word order for multi-register values: ABCD is big-endian (Modbus standard). */
    order: Type.Optional(Type.Union(['ABCD', 'CDAB', 'BADC', 'DCBA'].map((t) => Type.Literal(t)))),
    /** Bit number (0 = least significant) inside a register, for `type: bool` on holding/input. */
    bit: Type.Optional(Type.Integer({ minimum: 0, maximum: 15 })),
    scale: Type.Optional(Type.Number()),
    offset: Type.Optional(Type.Number()),
    /**
     * The gateway may write this point (coil: FC5, or FC15 with `writeMultiple`; holding: FC6 for one
     * register, FC16 for several or with `writeMultiple`). Off by default: points are read-only.
     */
    writable: Type.Optional(Type.Boolean({ default: false })),
    /** Write with FC15/FC16 even for a single coil/register (devices that lack FC5/FC6). */
    writeMultiple: Type.Optional(Type.Boolean({ default: false })),
    ...reportKeys,
  },
  { additionalProperties: false },
);
export type ModbusPoint = Static<typeof ModbusPoint>;
