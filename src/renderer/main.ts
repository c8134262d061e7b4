import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import './styles.css';
import { initMlpKernel } from '../core/nca/mlp-kernel';

// the NCA's SIMD kernel must be compiled asynchronously on a page's main thread (see mlp-kernel.ts)
void initMlpKernel();

createApp(App).use(createPinia()).mount('#app');
