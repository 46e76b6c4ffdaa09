module.exports = require('@rancher/shell/vue.config')(__dirname, { excludes: [] });
