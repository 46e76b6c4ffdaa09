// The gob codec: one GobEncoder and one GobDecoder per stream direction of a connection (type ids live as long as
// the stream). Describe each value with a GobType built from `t`; decoded values take the shapes of GobValue.
export { GobDecoder } from './decoder';
export { GobEncoder } from './encoder';
export { DEFAULT_LIMITS, type GobLimits } from './stream';
export { GobError, type GobField, type GobInterfaceValue, type GobType, type GobValue, t } from './types';
