// shell's library build config, with two settings of our own.
const config = require('./.shell/pkg/vue.config')(__dirname);

const shellWebpack = config.configureWebpack;

config.configureWebpack = (webpackConfig) => {
  const result = shellWebpack(webpackConfig);

  // webpack's default budget (244 KiB) is meant for pages loaded over the internet. Rancher serves the extension from
  // its own server and loads a chunk once, when a Hetzner form opens; the largest chunk (shell's form components
  // with lodash) is about 280 KiB. Warn only when a file outgrows a budget that still means something.
  webpackConfig.performance = {
    ...webpackConfig.performance,
    hints:             'warning',
    maxAssetSize:      512 * 1024,
    maxEntrypointSize: 512 * 1024,
  };

  return result;
};

// vue-cli 5 prints `Time: <endTime - startTime>ms`, which webpack 5 keeps only on single-compiler stats; the library
// build runs a multi-compiler, so it printed "Time: NaNms". Give its stats the span of their children.
const MultiStats = require('webpack/lib/stats/MultiStats');

for (const [key, pick] of [['startTime', Math.min], ['endTime', Math.max]]) {
  if (!(key in MultiStats.prototype)) {
    Object.defineProperty(MultiStats.prototype, key, {
      configurable: true,
      get() {
        return pick(...this.stats.map((s) => s[key]));
      },
    });
  }
}

module.exports = config;
