// GENERATED from proto/driver.proto by driver/src/grpc/generate-descriptor.ts; do not edit by hand.
// The protobufjs JSON form of the Driver service, embedded so that no .proto file is read at runtime.

export const DRIVER_PROTO_JSON: unknown = {
  nested: {
    docker_machine_driver_hetzner: {
      nested: {
        v1: {
          nested: {
            Driver: {
              methods: {
                GetVersion: {
                  requestType: 'Empty',
                  responseType: 'IntValue',
                },
                SetConfigRaw: {
                  requestType: 'BytesValue',
                  responseType: 'Empty',
                },
                GetConfigRaw: {
                  requestType: 'Empty',
                  responseType: 'BytesValue',
                },
                GetCreateFlags: {
                  requestType: 'Empty',
                  responseType: 'CreateFlags',
                },
                SetConfigFromFlags: {
                  requestType: 'DriverOptions',
                  responseType: 'Empty',
                },
                DriverName: {
                  requestType: 'Empty',
                  responseType: 'StringValue',
                },
                GetMachineName: {
                  requestType: 'Empty',
                  responseType: 'StringValue',
                },
                GetIP: {
                  requestType: 'Empty',
                  responseType: 'StringValue',
                },
                GetIPv6: {
                  requestType: 'Empty',
                  responseType: 'StringValue',
                },
                GetSSHHostname: {
                  requestType: 'Empty',
                  responseType: 'StringValue',
                },
                GetSSHKeyPath: {
                  requestType: 'Empty',
                  responseType: 'StringValue',
                },
                GetSSHPort: {
                  requestType: 'Empty',
                  responseType: 'IntValue',
                },
                GetSSHUsername: {
                  requestType: 'Empty',
                  responseType: 'StringValue',
                },
                GetURL: {
                  requestType: 'Empty',
                  responseType: 'StringValue',
                },
                GetState: {
                  requestType: 'Empty',
                  responseType: 'IntValue',
                },
                PreCreateCheck: {
                  requestType: 'Empty',
                  responseType: 'Empty',
                },
                Create: {
                  requestType: 'Empty',
                  responseType: 'Empty',
                },
                Remove: {
                  requestType: 'Empty',
                  responseType: 'Empty',
                },
                Start: {
                  requestType: 'Empty',
                  responseType: 'Empty',
                },
                Stop: {
                  requestType: 'Empty',
                  responseType: 'Empty',
                },
                Restart: {
                  requestType: 'Empty',
                  responseType: 'Empty',
                },
                Kill: {
                  requestType: 'Empty',
                  responseType: 'Empty',
                },
                Heartbeat: {
                  requestType: 'Empty',
                  responseType: 'Empty',
                },
                Close: {
                  requestType: 'Empty',
                  responseType: 'Empty',
                },
              },
            },
            Empty: {
              fields: {},
            },
            IntValue: {
              fields: {
                value: {
                  type: 'int64',
                  id: 1,
                },
              },
            },
            StringValue: {
              fields: {
                value: {
                  type: 'string',
                  id: 1,
                },
              },
            },
            BytesValue: {
              fields: {
                value: {
                  type: 'bytes',
                  id: 1,
                },
              },
            },
            CreateFlag: {
              oneofs: {
                kind: {
                  oneof: ['string_flag', 'int_flag', 'string_slice_flag', 'bool_flag'],
                },
              },
              fields: {
                string_flag: {
                  type: 'StringFlag',
                  id: 1,
                },
                int_flag: {
                  type: 'IntFlag',
                  id: 2,
                },
                string_slice_flag: {
                  type: 'StringSliceFlag',
                  id: 3,
                },
                bool_flag: {
                  type: 'BoolFlag',
                  id: 4,
                },
              },
            },
            StringFlag: {
              fields: {
                name: {
                  type: 'string',
                  id: 1,
                },
                usage: {
                  type: 'string',
                  id: 2,
                },
                env_var: {
                  type: 'string',
                  id: 3,
                },
                value: {
                  type: 'string',
                  id: 4,
                },
              },
            },
            IntFlag: {
              fields: {
                name: {
                  type: 'string',
                  id: 1,
                },
                usage: {
                  type: 'string',
                  id: 2,
                },
                env_var: {
                  type: 'string',
                  id: 3,
                },
                value: {
                  type: 'int64',
                  id: 4,
                },
              },
            },
            StringSliceFlag: {
              fields: {
                name: {
                  type: 'string',
                  id: 1,
                },
                usage: {
                  type: 'string',
                  id: 2,
                },
                env_var: {
                  type: 'string',
                  id: 3,
                },
                value: {
                  rule: 'repeated',
                  type: 'string',
                  id: 4,
                },
              },
            },
            BoolFlag: {
              fields: {
                name: {
                  type: 'string',
                  id: 1,
                },
                usage: {
                  type: 'string',
                  id: 2,
                },
                env_var: {
                  type: 'string',
                  id: 3,
                },
              },
            },
            CreateFlags: {
              fields: {
                flags: {
                  rule: 'repeated',
                  type: 'CreateFlag',
                  id: 1,
                },
              },
            },
            DriverOptions: {
              fields: {
                values: {
                  keyType: 'string',
                  type: 'OptionValue',
                  id: 1,
                },
              },
            },
            OptionValue: {
              oneofs: {
                kind: {
                  oneof: ['string_value', 'int_value', 'bool_value', 'string_list_value', 'null_value'],
                },
              },
              fields: {
                string_value: {
                  type: 'string',
                  id: 1,
                },
                int_value: {
                  type: 'int64',
                  id: 2,
                },
                bool_value: {
                  type: 'bool',
                  id: 3,
                },
                string_list_value: {
                  type: 'StringList',
                  id: 4,
                },
                null_value: {
                  type: 'NullValue',
                  id: 5,
                },
              },
            },
            StringList: {
              fields: {
                values: {
                  rule: 'repeated',
                  type: 'string',
                  id: 1,
                },
              },
            },
            NullValue: {
              values: {
                NULL_VALUE: 0,
              },
            },
          },
        },
      },
    },
  },
};
