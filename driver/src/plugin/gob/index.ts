// The gob codec: one GobEncoder and one GobDecoder per stream direction of a connection (type ids live as long as
// the stream). Describe each value with a GobType built from `t`; decoded values take the shapes of GobValue.
export { DEFAULT_LIMITS, GobDecoder, type GobLimits } from './decoder';
export { GobEncoder } from './encoder';
export { GobError, type GobField, type GobInterfaceValue, type GobType, type GobValue, t } from './types';
