export { FourEyesGate } from './FourEyesGate';
export { FourEyesConfirmations } from './FourEyesConfirmations';
export { FourEyesUsers } from './FourEyesUsers';
export { FourEyesPage } from './FourEyesPage';
